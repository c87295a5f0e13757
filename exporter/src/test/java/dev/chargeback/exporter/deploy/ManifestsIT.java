package dev.chargeback.exporter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code k8s-manifests/} is {@code helm template chargeback chart --namespace chargeback} with
 * default values: this fails when they drift, and writes the fresh rendering beside the build
 * ({@code exporter/target/chargeback.yaml}) to copy over.
 */
class ManifestsIT {
  private static final Path MANIFESTS = Path.of("../k8s-manifests");

  @Test
  void manifestsAreTheChartRenderedWithDefaults() throws Exception {
    String rendered =
        new Helm(Path.of("../chart"))
            .template()
            .withName("chargeback")
            .withNamespace("chargeback")
            .call();
    Path fresh = Path.of("target/chargeback.yaml");
    Files.writeString(fresh, rendered);
    assertThat(Files.readString(MANIFESTS.resolve("chargeback.yaml")))
        .as(
            "k8s-manifests/chargeback.yaml drifted from the chart: cp exporter/target/chargeback.yaml k8s-manifests/")
        .isEqualTo(rendered);
  }

  @Test
  void kustomizeBuildsThem() throws Exception {
    Process p =
        new ProcessBuilder("kubectl", "kustomize", MANIFESTS.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out)
        .contains("kind: Deployment")
        .contains("namespace: chargeback")
        .contains("prometheus.io/scrape");
  }
}
