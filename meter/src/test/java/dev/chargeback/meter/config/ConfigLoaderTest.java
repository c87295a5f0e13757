package dev.chargeback.meter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private static ChargebackConfig load(Map<String, String> env, String... args) {
    return ConfigLoader.load(List.of(args), Set.of(), env).config();
  }

  @Test
  void defaultsAreSensible() {
    ChargebackConfig c = load(Map.of());
    assertThat(c.data()).isEqualTo("./data");
    assertThat(c.scrapeInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.effectiveMaxGap()).isEqualTo(Duration.ofSeconds(150));
    assertThat(c.billing().zone().getId()).isEqualTo("UTC");
    assertThat(c.retention().hourly()).isEqualTo(Duration.ofDays(100));
    assertThat(c.listenOr(":9466")).isEqualTo(":9466");
  }

  @Test
  void fileThenEnvironmentThenFlags() throws Exception {
    Path file = dir.resolve("c.yaml");
    Files.writeString(
        file,
        "scrapeInterval: 10s\nbilling:\n  timeZone: Asia/Seoul\ntargets: [cadvisor=http://a/m]\n");
    ChargebackConfig c =
        load(
            Map.of("CHARGEBACK_SCRAPE_INTERVAL", "20s", "CHARGEBACK_MAX_GAP", "2m"),
            "--config",
            file.toString(),
            "--scrape-interval=5s",
            "--target",
            "node-exporter=http://b/metrics",
            "--data",
            "/var/lib/chargeback");
    assertThat(c.scrapeInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.maxGap()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.billing().timeZone()).isEqualTo("Asia/Seoul");
    assertThat(c.targets()).containsExactly("node-exporter=http://b/metrics");
    assertThat(c.data()).isEqualTo("/var/lib/chargeback");
    ChargebackConfig fromFile = load(Map.of(), "--config", file.toString());
    assertThat(fromFile.targets()).containsExactly("cadvisor=http://a/m");
  }

  @Test
  void discoverySettings() {
    ChargebackConfig c =
        load(
            Map.of("CHARGEBACK_KUBELET_VIA_API_SERVER_PROXY", "true"),
            "--kubernetes.namespace-labels",
            "team, cost-center",
            "--kube-state-metrics.url",
            "http://kube-state-metrics.kube-system.svc:8080/metrics");
    assertThat(c.kubernetes().discovery()).isEqualTo("auto");
    assertThat(c.kubernetes().namespaceLabels()).containsExactly("team", "cost-center");
    assertThat(c.kubelet().viaApiServerProxy()).isTrue();
    assertThat(c.kubelet().insecureSkipVerify()).isFalse();
    assertThat(c.nodeExporter().selector())
        .isEqualTo("app.kubernetes.io/name=prometheus-node-exporter");
    assertThat(c.kubeStateMetrics().url()).startsWith("http://kube-state-metrics");
    assertThatThrownBy(() -> load(Map.of(), "--delivery.channels", "fax"))
        .hasMessage("config key 'delivery.channels': 'fax' is not email, webhook or log");
    assertThatThrownBy(() -> load(Map.of(), "--delivery.channels", "email"))
        .hasMessage("config key 'delivery.smtp.host': needed by channel email");
    assertThatThrownBy(
            () ->
                load(
                    Map.of("CHARGEBACK_DELIVERY_WEBHOOK_URL", "https://x.example/hook"),
                    "--delivery.channels",
                    "webhook"))
        .hasMessage("config key 'delivery.webhook.secretFile': missing");
    assertThatThrownBy(() -> load(Map.of(), "--access.token-header", "X-Token: evil"))
        .hasMessageStartingWith("config key 'access.tokenHeader': not a header name");
    assertThat(load(Map.of(), "--access.token-header", "").access().tokenHeader()).isEmpty();
    assertThat(load(Map.of()).access().tokenHeader()).isEqualTo("X-Forwarded-Access-Token");
    assertThat(load(Map.of(), "--access.sign-in", "false").access().signIn()).isFalse();
    assertThatThrownBy(() -> load(Map.of(), "--kubernetes.discovery", "maybe"))
        .hasMessage("config key 'kubernetes.discovery': 'maybe' is not auto, on or off");
    assertThatThrownBy(() -> load(Map.of(), "--node-exporter.selector", "app in (a,b)"))
        .hasMessageStartingWith("config key 'nodeExporter.selector': label selector term");
    assertThatThrownBy(() -> load(Map.of(), "--kubelet.ca-file", dir.resolve("none").toString()))
        .hasMessageStartingWith("config key 'kubelet.caFile': cannot read");
    assertThatThrownBy(() -> load(Map.of(), "--kube-state-metrics.url", "ksm:8080"))
        .hasMessage("config key 'kubeStateMetrics.url': 'ksm:8080' is not an http(s) URL");
  }

  @Test
  void nestedKeysAsFlagsAndRoleFlagsApart() {
    ConfigLoader.Loaded loaded =
        ConfigLoader.load(
            List.of("--billing.time-zone", "Asia/Kolkata", "--ns", "default", "-o", "x.pdf"),
            Set.of("ns", "o"),
            Map.of());
    assertThat(loaded.config().billing().zone().getId()).isEqualTo("Asia/Kolkata");
    assertThat(loaded.roleFlags())
        .containsExactly(Map.entry("ns", "default"), Map.entry("o", "x.pdf"));
  }

  @Test
  void unknownKeysAreNamed() throws Exception {
    Path file = dir.resolve("bad.yaml");
    Files.writeString(file, "billing:\n  timeZon: UTC\n");
    assertThatThrownBy(() -> load(Map.of(), "--config", file.toString()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("unknown config key 'billing.timeZon'");
    assertThatThrownBy(() -> load(Map.of(), "--scrape-intervall", "5s"))
        .hasMessage("unknown config key 'scrapeIntervall' (from --scrape-intervall)");
  }

  @Test
  void badValuesAreNamed() throws Exception {
    assertThatThrownBy(() -> load(Map.of(), "--scrape-interval", "soon"))
        .hasMessageContaining("config key 'scrapeInterval'")
        .hasMessageContaining("not a duration");
    // A nested duration is named by its whole path.
    assertThatThrownBy(() -> load(Map.of(), "--billing.close-after", "3x"))
        .hasMessageContaining("config key 'billing.closeAfter'")
        .hasMessageContaining("unknown unit");
    assertThatThrownBy(() -> load(Map.of(), "--billing.close-after", "0s"))
        .hasMessage("config key 'billing.closeAfter': must be a positive duration");
    assertThatThrownBy(() -> load(Map.of(), "--billing.time-zone", "Mars/Olympus"))
        .hasMessage("config key 'billing.timeZone': unknown time zone 'Mars/Olympus'");
    assertThatThrownBy(() -> load(Map.of(), "--limits.max-labels", "many"))
        .hasMessageContaining("config key 'limits.maxLabels'");
    assertThatThrownBy(() -> load(Map.of(), "--listen", "9466"))
        .hasMessage("config key 'listen': '9466' is not HOST:PORT");
    Path file = dir.resolve("broken.yaml");
    Files.writeString(file, "data: [unclosed\n");
    assertThatThrownBy(() -> load(Map.of(), "--config", file.toString()))
        .hasMessageContaining("is not valid YAML");
    assertThatThrownBy(() -> load(Map.of(), "--config", dir.resolve("none.yaml").toString()))
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> load(Map.of(), "--data")).hasMessage("flag --data needs a value");
  }
}
