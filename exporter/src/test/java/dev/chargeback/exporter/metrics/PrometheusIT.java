package dev.chargeback.exporter.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chargeback.exporter.harness.ChargebackProcess;
import io.javalin.Javalin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Prometheus as a local process. It is built without {@code kubernetes_sd_configs}, so the
 * pod's discovery labels (the same {@code __meta_kubernetes_pod_*} labels kubernetes_sd gives) are
 * served by {@code http_sd_configs}, and the usual relabelling runs unchanged.
 */
class PrometheusIT extends PrometheusContract {
  private Javalin discovery;
  private Process prometheus;
  private int port;

  @Override
  void startPrometheus() throws Exception {
    JsonNode pod = pod();
    ObjectNode labels = json.createObjectNode();
    labels.put("__meta_kubernetes_namespace", pod.at("/metadata/namespace").asText());
    labels.put("__meta_kubernetes_pod_name", pod.at("/metadata/name").asText());
    labels.put("__meta_kubernetes_pod_ip", pod.at("/status/podIP").asText());
    pod.at("/metadata/annotations")
        .properties()
        .forEach(
            a -> {
              String name = a.getKey().replaceAll("[^a-zA-Z0-9_]", "_");
              labels.put("__meta_kubernetes_pod_annotation_" + name, a.getValue().asText());
              labels.put("__meta_kubernetes_pod_annotationpresent_" + name, "true");
            });
    // The annotation names the exporter's port (random here), so the relabelling is tested.
    labels.put(
        "__meta_kubernetes_pod_annotation_prometheus_io_port", Integer.toString(exporter.port()));
    ArrayNode groups = json.createArrayNode();
    ObjectNode group = groups.addObject();
    group.set("labels", labels);
    // kubernetes_sd gives a target per container port: here the meter's, not the annotated one.
    group.putArray("targets").add(pod.at("/status/podIP").asText() + ":9467");
    discovery =
        Javalin.create(
                c -> {
                  c.startup.showJavalinBanner = false;
                  c.routes.get(
                      "/targets",
                      ctx ->
                          ctx.contentType("application/json")
                              .result(json.writeValueAsBytes(groups)));
                })
            .start("127.0.0.1", 0);

    port = ChargebackProcess.freePort();
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        config(
            """
                http_sd_configs:
                  - url: http://127.0.0.1:%d/targets
                    refresh_interval: 1s
            """
                .formatted(discovery.port())));
    prometheus =
        new ProcessBuilder(
                "prometheus",
                "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
  }

  @Override
  String prometheusUrl() {
    return "http://127.0.0.1:" + port;
  }

  @Override
  boolean prometheusAlive() {
    return prometheus.isAlive();
  }

  @Override
  String expectedInstance() {
    return "127.0.0.1:" + exporter.port();
  }

  @Override
  void stopPrometheus() throws Exception {
    if (prometheus != null) {
      prometheus.destroy();
      prometheus.waitFor(20, TimeUnit.SECONDS);
    }
    if (discovery != null) {
      discovery.stop();
    }
  }
}
