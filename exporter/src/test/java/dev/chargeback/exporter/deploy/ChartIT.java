package dev.chargeback.exporter.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Helm chart through real Helm (helm-java): lint, and what it renders. */
class ChartIT {
  private static final Path CHART = Path.of("../chart");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @TempDir Path dir;

  private static List<JsonNode> render(Path values) throws Exception {
    var template = new Helm(CHART).template().withName("chargeback").withNamespace("chargeback");
    if (values != null) {
      template.withValuesFile(values);
    }
    String out = template.call();
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(out)) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode doc = it.next();
        if (doc != null && doc.has("kind")) {
          docs.add(doc);
        }
      }
    }
    return docs;
  }

  /**
   * The configuration the rendered ConfigMap gives the meter, loaded as the meter loads it: the
   * data path moved into {@code dir}, and each of {@code paths} (mounted files) replaced.
   */
  private static dev.chargeback.meter.config.ChargebackConfig accepted(
      List<JsonNode> docs, Path dir, Map<String, String> paths) throws Exception {
    String text =
        docs.stream()
            .filter(d -> d.at("/data/config.yaml").isTextual())
            .findFirst()
            .orElseThrow()
            .at("/data/config.yaml")
            .asText()
            .replace("/var/lib/chargeback", dir.toString());
    for (Map.Entry<String, String> p : paths.entrySet()) {
      text = text.replace(p.getKey(), p.getValue());
    }
    Path config = dir.resolve("config.yaml");
    Files.writeString(config, text);
    return dev.chargeback.meter.config.ConfigLoader.load(
            List.of("--config", config.toString()), java.util.Set.of(), Map.of())
        .config();
  }

  private static JsonNode kind(List<JsonNode> docs, String kind) {
    return docs.stream().filter(d -> d.get("kind").asText().equals(kind)).findFirst().orElseThrow();
  }

  private static List<String> rules(List<JsonNode> docs) {
    List<String> out = new ArrayList<>();
    kind(docs, "ClusterRole")
        .get("rules")
        .forEach(
            r -> {
              List<String> verbs = new ArrayList<>();
              r.get("verbs").forEach(v -> verbs.add(v.asText()));
              r.get("resources")
                  .forEach(
                      res ->
                          out.add(
                              r.get("apiGroups").get(0).asText()
                                  + "/"
                                  + res.asText()
                                  + " "
                                  + verbs));
            });
    return out;
  }

  @Test
  void lintsCleanInStrictMode() {
    LintResult result = new Helm(CHART).lint().strict().call();
    assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
  }

  @Test
  void defaultsRenderOnePodWithMeterAndExporterSecurely() throws Exception {
    List<JsonNode> docs = render(null);
    assertThat(docs.stream().map(d -> d.get("kind").asText()).sorted().collect(Collectors.toList()))
        .containsExactly(
            "ClusterRole",
            "ClusterRoleBinding",
            "ConfigMap",
            "ConfigMap",
            "Deployment",
            "PersistentVolumeClaim",
            "Service",
            "ServiceAccount");
    JsonNode deployment = kind(docs, "Deployment");
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(1);
    assertThat(deployment.at("/spec/strategy/type").asText()).isEqualTo("Recreate");
    JsonNode pod = deployment.at("/spec/template");
    assertThat(pod.at("/metadata/annotations/prometheus.io~1scrape").asText()).isEqualTo("true");
    assertThat(pod.at("/metadata/annotations/prometheus.io~1port").asText()).isEqualTo("9466");
    assertThat(pod.at("/metadata/annotations/prometheus.io~1path").asText()).isEqualTo("/metrics");
    assertThat(pod.at("/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.at("/spec/securityContext/fsGroup").asInt()).isEqualTo(10001);
    List<String> containers = new ArrayList<>();
    for (JsonNode c : pod.at("/spec/containers")) {
      containers.add(c.get("name").asText());
      assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
      assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
      assertThat(c.at("/securityContext/capabilities/drop/0").asText()).isEqualTo("ALL");
      assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/healthz");
      assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/readyz");
      assertThat(c.at("/resources/requests/memory").asText()).isNotEmpty();
      assertThat(c.at("/args/0").asText()).isEqualTo(c.get("name").asText());
    }
    assertThat(containers).containsExactly("meter", "exporter");
    // Both JVMs bounded (the meter as in the bench), few malloc arenas, and an out-of-memory
    // JVM exits for Kubernetes to restart rather than living on without metering.
    assertThat(pod.at("/spec/containers/0/env/0/value").asText())
        .contains("-Xmx64m", "-XX:+ExitOnOutOfMemoryError");
    assertThat(pod.at("/spec/containers/1/env/0/value").asText())
        .contains("-Xmx", "-XX:+ExitOnOutOfMemoryError");
    for (int c = 0; c < 2; c++) {
      assertThat(pod.at("/spec/containers/" + c + "/env/1/name").asText())
          .isEqualTo("MALLOC_ARENA_MAX");
    }
    // The admin endpoints on loopback only, never a container port.
    String config =
        docs.stream()
            .filter(d -> d.at("/data/config.yaml").isTextual())
            .findFirst()
            .orElseThrow()
            .at("/data/config.yaml")
            .asText();
    assertThat(config).contains("listen: \"127.0.0.1:9468\"").contains("directories: [\"/tmp\"]");
    assertThat(pod.toString()).doesNotContain("9468");
    assertThat(pod.at("/spec/volumes/0/persistentVolumeClaim/claimName").asText())
        .isEqualTo("chargeback");
    assertThat(pod.at("/spec/volumes/2/name").asText()).isEqualTo("tmp");
    assertThat(rules(docs))
        .containsExactly(
            "/nodes [get, list, watch]",
            "/nodes/metrics [get, list, watch]",
            "/pods [get, list, watch]",
            "/namespaces [get, list, watch]",
            "apps/replicasets [get, list, watch]",
            "batch/jobs [get, list, watch]",
            "authentication.k8s.io/tokenreviews [create]",
            "authorization.k8s.io/subjectaccessreviews [create]");
    JsonNode dashboard =
        docs.stream()
            .filter(d -> d.at("/metadata/labels/grafana_dashboard").asText().equals("1"))
            .findFirst()
            .orElseThrow();
    assertThat(YAML.readTree(dashboard.at("/data/chargeback.json").asText()).get("uid").asText())
        .isEqualTo("chargeback-cost");
  }

  @Test
  void optionsAddTheirObjectsAndOnlyTheirPermissions() throws Exception {
    List<JsonNode> docs = render(CHART.resolve("ci/serviceMonitor-values.yaml"));
    assertThat(kind(docs, "ServiceMonitor").at("/spec/endpoints/0/honorLabels").asBoolean())
        .isTrue();
    JsonNode policy = kind(docs, "NetworkPolicy");
    assertThat(policy.at("/spec/ingress").size()).as("only the exporter's port").isEqualTo(1);
    assertThat(policy.at("/spec/ingress/0/ports/0/port").asInt()).isEqualTo(9466);
    // Restricted to the release namespace and Prometheus' namespaces, never everyone.
    assertThat(policy.at("/spec/ingress/0/from").size()).isEqualTo(2);
    assertThat(policy.at("/spec/ingress/0/from/0/podSelector").isEmpty()).isTrue();
    assertThat(policy.at("/spec/ingress/0/from/0/namespaceSelector").isMissingNode()).isTrue();
    assertThat(
            policy
                .at("/spec/ingress/0/from/1/namespaceSelector/matchLabels")
                .get("kubernetes.io/metadata.name")
                .asText())
        .isEqualTo("monitoring");
    assertThat(rules(docs))
        .contains(
            "/nodes/proxy [get, list, watch]",
            "authentication.k8s.io/tokenreviews [create]",
            "authorization.k8s.io/subjectaccessreviews [create]");
    assertThat(docs).noneMatch(d -> d.get("kind").asText().equals("PersistentVolumeClaim"));
    JsonNode pod = kind(docs, "Deployment").at("/spec/template");
    assertThat(pod.at("/metadata/annotations/prometheus.io~1scheme").asText()).isEqualTo("https");
    assertThat(pod.at("/spec/containers/1/readinessProbe/httpGet/scheme").asText())
        .isEqualTo("HTTPS");
    assertThat(pod.at("/spec/volumes/3/secret/secretName").asText()).isEqualTo("chargeback-tls");
    assertThat(pod.at("/spec/containers/1/volumeMounts/3/mountPath").asText())
        .isEqualTo("/etc/chargeback/tls");
    JsonNode config =
        docs.stream().filter(d -> d.at("/data/config.yaml").isTextual()).findFirst().orElseThrow();
    assertThat(config.at("/data/config.yaml").asText())
        .contains("certFile: /etc/chargeback/tls/tls.crt");
    assertThat(kind(docs, "Deployment").at("/spec/template/spec/volumes/0/emptyDir").isObject())
        .isTrue();
  }

  @Test
  void theAlertsFireOnAFullVolumeFailingWritesAndAStoppedMeter() throws Exception {
    JsonNode rule = kind(render(CHART.resolve("ci/serviceMonitor-values.yaml")), "PrometheusRule");
    assertThat(rule.at("/metadata/labels/release").asText()).isEqualTo("prometheus");
    Path rules = dir.resolve("rules.yaml");
    YAML.writeValue(rules.toFile(), rule.get("spec"));
    Map<String, JsonNode> byName = new java.util.HashMap<>();
    rule.at("/spec/groups/0/rules").forEach(r -> byName.put(r.get("alert").asText(), r));
    // The volume fills at minute 3 and writes fail from then on; the meter stores nothing.
    String test =
        """
        rule_files: [rules.yaml]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
              - series: chargeback_store_volume_free_bytes
                values: 8388608 4194304 1048576 0x40
              - series: chargeback_store_volume_capacity_bytes
                values: 16777216x43
              - series: chargeback_meter_write_errors_total
                values: 0 0 0 3 6 9 12x37
              - series: chargeback_meter_up
                values: 1 1 1 1 1 0x38
              - series: chargeback_meter_scrape_errors_total{target="cadvisor:node/a"}
                values: 0+1x43
            alert_rule_test:
              - eval_time: 2m
                alertname: ChargebackWritesFailing
                exp_alerts: []
              - eval_time: 5m
                alertname: ChargebackWritesFailing
                exp_alerts:
                  - exp_labels: {severity: critical}
                    exp_annotations: {summary: %s, description: %s}
              - eval_time: 20m
                alertname: ChargebackDataVolumeFilling
                exp_alerts:
                  - exp_labels: {severity: warning}
                    exp_annotations: {summary: "chargeback's data volume is 0%% free", description: %s}
              - eval_time: 14m
                alertname: ChargebackMeterDown
                exp_alerts: []
              - eval_time: 16m
                alertname: ChargebackMeterDown
                exp_alerts:
                  - exp_labels: {severity: warning}
                    exp_annotations: {summary: %s, description: %s}
              - eval_time: 40m
                alertname: ChargebackScrapeErrors
                exp_alerts:
                  - exp_labels: {severity: warning, target: "cadvisor:node/a"}
                    exp_annotations: {summary: "chargeback cannot scrape cadvisor:node/a", description: %s}
        """
            .formatted(
                annotation(byName, "ChargebackWritesFailing", "summary"),
                annotation(byName, "ChargebackWritesFailing", "description"),
                annotation(byName, "ChargebackDataVolumeFilling", "description"),
                annotation(byName, "ChargebackMeterDown", "summary"),
                annotation(byName, "ChargebackMeterDown", "description"),
                annotation(byName, "ChargebackScrapeErrors", "description"));
    Files.writeString(dir.resolve("rules_test.yaml"), test);
    for (List<String> command :
        List.of(
            List.of("promtool", "check", "rules", "rules.yaml"),
            List.of("promtool", "test", "rules", "rules_test.yaml"))) {
      Process p =
          new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      assertThat(p.waitFor()).as(String.join(" ", command) + "\n" + out).isZero();
    }
  }

  /** An annotation of a rendered alert, as a YAML double-quoted string. */
  private static String annotation(Map<String, JsonNode> rules, String alert, String name) {
    String text = rules.get(alert).at("/annotations/" + name).asText();
    return '"' + text.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  @Test
  void openShiftScenarioRunsUnderRestrictedV2WithARoute() throws Exception {
    List<JsonNode> docs = render(CHART.resolve("ci/openshift-values.yaml"));
    JsonNode security = kind(docs, "Deployment").at("/spec/template/spec/securityContext");
    // restricted-v2 assigns the UID and fsGroup itself and refuses pods that fix others.
    assertThat(security.has("runAsUser")).isFalse();
    assertThat(security.has("runAsGroup")).isFalse();
    assertThat(security.has("fsGroup")).isFalse();
    assertThat(security.at("/runAsNonRoot").asBoolean()).isTrue();
    assertThat(security.at("/seccompProfile/type").asText()).isEqualTo("RuntimeDefault");
    for (JsonNode c : kind(docs, "Deployment").at("/spec/template/spec/containers")) {
      assertThat(c.at("/securityContext/capabilities/drop/0").asText()).isEqualTo("ALL");
      assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean()).isFalse();
    }
    JsonNode route = kind(docs, "Route");
    assertThat(route.get("apiVersion").asText()).isEqualTo("route.openshift.io/v1");
    assertThat(route.at("/spec/to/name").asText()).isEqualTo("chargeback");
    assertThat(route.at("/spec/port/targetPort").asText()).isEqualTo("http");
    assertThat(route.at("/spec/tls/termination").asText()).isEqualTo("edge");
    assertThat(kind(docs, "ServiceMonitor").at("/spec/endpoints/0/honorLabels").asBoolean())
        .isTrue();

    // The rendered configuration is one the meter accepts, with discovery on.
    var loaded = accepted(docs, dir, Map.of());
    assertThat(loaded.kubernetes().discovery()).isEqualTo("on");
    assertThat(loaded.adminListen(":9467")).isEqualTo("127.0.0.1:9468");
    assertThat(loaded.kubernetes().namespaceLabels()).containsExactly("team", "cost-center");
    assertThat(loaded.kubelet().insecureSkipVerify()).isTrue();
    assertThat(loaded.nodeExporter().selector())
        .isEqualTo("app.kubernetes.io/name=prometheus-node-exporter");
  }

  @Test
  void deliverySecretsComeFromASecretMountedReadOnlyAndTheMeterAcceptsTheConfig() throws Exception {
    Path values = dir.resolve("delivery.yaml");
    Files.writeString(
        values,
        """
        delivery:
          channels: [email, webhook]
          from: bills@corp.example
          smtp: {host: smtp.corp.example, username: bills}
          webhook: {url: "https://finance.corp.example/hooks/bills"}
          secretName: chargeback-delivery
        """);
    List<JsonNode> docs = render(values);
    JsonNode pod = kind(docs, "Deployment").at("/spec/template/spec");
    assertThat(pod.toString()).doesNotContain("s3cret");
    JsonNode volume = null;
    for (JsonNode v : pod.get("volumes")) {
      if (v.get("name").asText().equals("delivery")) {
        volume = v;
      }
    }
    assertThat(volume.at("/secret/secretName").asText()).isEqualTo("chargeback-delivery");
    for (JsonNode container : pod.get("containers")) {
      assertThat(container.get("volumeMounts").toString())
          .contains("\"mountPath\":\"/etc/chargeback/delivery\",\"readOnly\":true");
    }
    // The rendered configuration names the mounted files; the meter accepts it once they exist.
    Path mounted = Files.createDirectories(dir.resolve("delivery"));
    Files.writeString(mounted.resolve("smtp-password"), "s3cret\n");
    Files.writeString(mounted.resolve("webhook-secret"), "k3y\n");
    var loaded = accepted(docs, dir, Map.of("/etc/chargeback/delivery", mounted.toString()));
    assertThat(loaded.delivery().channels()).containsExactly("email", "webhook");
    assertThat(loaded.delivery().smtp().passwordFile())
        .isEqualTo(mounted.resolve("smtp-password").toString());
    assertThat(loaded.delivery().webhook().secretFile())
        .isEqualTo(mounted.resolve("webhook-secret").toString());
  }

  @Test
  void aCentralChargebackReadsTheClustersAndTheMeterAcceptsTheConfig() throws Exception {
    Path values = dir.resolve("central.yaml");
    Files.writeString(
        values,
        """
        central:
          prometheusUrl: http://vmselect.monitoring:8481/select/0/prometheus
          clusterLabel: k8s_cluster
          clusterName: seoul-hub
        """);
    var loaded = accepted(render(values), dir, Map.of());
    assertThat(loaded.prometheus().url())
        .isEqualTo("http://vmselect.monitoring:8481/select/0/prometheus");
    assertThat(loaded.prometheus().source()).isEqualTo("chargeback");
    assertThat(loaded.prometheus().clusterLabel()).isEqualTo("k8s_cluster");
    assertThat(loaded.clusterName()).isEqualTo("seoul-hub");
    // Off by default: the rendered configuration has no prometheus source.
    assertThat(kind(render(null), "ConfigMap").at("/data/config.yaml").asText())
        .doesNotContain("prometheus:");
  }

  @Test
  void theSchemaRejectsUnknownAndBadValues() throws Exception {
    Path typo = dir.resolve("typo.yaml");
    Files.writeString(typo, "serviceMonitor:\n  enabeld: true\n");
    assertThatThrownBy(() -> render(typo)).hasMessageContaining("enabeld");
    Path port = dir.resolve("port.yaml");
    Files.writeString(port, "exporter:\n  port: 70000\n");
    assertThatThrownBy(() -> render(port)).hasMessageContaining("port");
    Path label = dir.resolve("label.yaml");
    Files.writeString(label, "discovery:\n  namespaceLabels: [\"cost center\"]\n");
    assertThatThrownBy(() -> render(label)).hasMessageContaining("namespaceLabels");
  }
}
