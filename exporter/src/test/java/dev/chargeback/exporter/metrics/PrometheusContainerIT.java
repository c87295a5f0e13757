package dev.chargeback.exporter.metrics;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.images.builder.Transferable;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * The twin of {@link PrometheusIT} where Docker exists: the official Prometheus image with the real
 * {@code kubernetes_sd_configs} (role pod) against a fake Kubernetes API server on the host,
 * reached from the container through {@code host.testcontainers.internal} (127.0.0.1 inside a
 * container is the container). Skipped, with JUnit's reason, where no Docker engine runs.
 */
@Testcontainers(disabledWithoutDocker = true)
class PrometheusContainerIT extends PrometheusContract {
  private static final String HOST = "host.testcontainers.internal";

  private Javalin apiServer;
  private GenericContainer<?> prometheus;

  @Override
  void startPrometheus() throws Exception {
    ObjectNode pod = (ObjectNode) json.valueToTree(pod());
    ((ObjectNode) pod.get("metadata").get("annotations"))
        .put("prometheus.io/port", Integer.toString(exporter.port()));
    ((ObjectNode) pod.get("metadata"))
        .put("uid", "0b5d3c7e-1f7a-4c3e-9d9a-6c1f2f7e9a11")
        .put("resourceVersion", "1");
    ((ObjectNode) pod.get("status")).put("podIP", HOST).put("phase", "Running");
    ObjectNode list = json.createObjectNode();
    list.put("kind", "PodList").put("apiVersion", "v1");
    list.putObject("metadata").put("resourceVersion", "1");
    list.putArray("items").add(pod);
    // List answers with the pod; a watch stays open with no events until the client gives up.
    apiServer =
        Javalin.create(
                c -> {
                  c.startup.showJavalinBanner = false;
                  c.routes.get(
                      "/api/v1/pods",
                      ctx -> {
                        if ("true".equals(ctx.queryParam("watch"))) {
                          Thread.sleep(30_000);
                          ctx.status(200).result("");
                        } else {
                          ctx.contentType("application/json").result(json.writeValueAsBytes(list));
                        }
                      });
                })
            .start("127.0.0.1", 0);
    org.testcontainers.Testcontainers.exposeHostPorts(apiServer.port(), exporter.port());
    String config =
        config(
            """
                kubernetes_sd_configs:
                  - role: pod
                    api_server: http://%s:%d
            """
                .formatted(HOST, apiServer.port()));
    prometheus =
        new GenericContainer<>("prom/prometheus:v2.53.4")
            .withCopyToContainer(Transferable.of(config), "/etc/prometheus/prometheus.yml")
            .withExposedPorts(9090);
    prometheus.start();
  }

  @Override
  String prometheusUrl() {
    return "http://" + prometheus.getHost() + ":" + prometheus.getMappedPort(9090);
  }

  @Override
  boolean prometheusAlive() {
    return prometheus.isRunning();
  }

  @Override
  String expectedInstance() {
    return HOST + ":" + exporter.port();
  }

  @Override
  void stopPrometheus() {
    if (prometheus != null) {
      prometheus.stop();
    }
    if (apiServer != null) {
      apiServer.stop();
    }
  }
}
