package dev.chargeback.exporter.role;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.exporter.sim.SimEndpoints;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import io.javalin.Javalin;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code standalone} role as a real process: simulated kubelet and kube-state-metrics, and a
 * real {@code prometheus-node-exporter} (Debian package) for node capacity.
 */
class StandaloneIT {
  @TempDir Path dir;

  @Test
  void metersSimulatedKubeletsAndARealNodeExporterAndServesMetrics() throws Exception {
    SimCluster sim = new SimCluster();
    Javalin kubelet =
        Javalin.create(
                c -> {
                  c.startup.showJavalinBanner = false;
                  SimEndpoints.register(c, "/sim", sim, InstantSource.system());
                })
            .start("127.0.0.1", 0);
    int nodeExporterPort = ChargebackProcess.freePort();
    Process nodeExporter =
        new ProcessBuilder(
                "prometheus-node-exporter",
                "--web.listen-address=127.0.0.1:" + nodeExporterPort,
                "--collector.disable-defaults",
                "--collector.cpu",
                "--collector.meminfo",
                "--collector.uname")
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("node-exporter.log").toFile())
            .start();
    int port = ChargebackProcess.freePort();
    String base = "http://127.0.0.1:" + kubelet.port() + "/sim";
    Process standalone =
        ChargebackProcess.start(
            dir.resolve("standalone.log"),
            "standalone",
            "--data",
            dir.resolve("data").toString(),
            "--listen",
            "127.0.0.1:" + port,
            "--scrape-interval",
            "1s",
            "--target",
            "cadvisor=" + base + "/" + sim.nodes().get(0) + "/metrics/cadvisor",
            "--target",
            "kube-state-metrics=" + base + "/kube-state-metrics/metrics",
            "--target",
            "node-exporter=http://127.0.0.1:" + nodeExporterPort + "/metrics");
    HttpClient http = HttpClient.newHttpClient();
    try {
      String metrics = "";
      long deadline = System.currentTimeMillis() + 60_000;
      while (System.currentTimeMillis() < deadline) {
        Thread.sleep(500);
        try {
          metrics =
              http.send(
                      HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body();
        } catch (java.io.IOException notYet) {
          continue;
        }
        if (value(metrics, "chargeback_usage_cpu_seconds_total", "default") > 0
            && value(metrics, "chargeback_usage_storage_byte_seconds_total", "default") > 0) {
          break;
        }
      }
      assertThat(value(metrics, "chargeback_usage_cpu_seconds_total", "default")).isPositive();
      assertThat(value(metrics, "chargeback_usage_memory_byte_seconds_total", "team-a"))
          .isPositive();
      assertThat(value(metrics, "chargeback_usage_network_receive_bytes_total", "default"))
          .isPositive();
      assertThat(value(metrics, "chargeback_usage_storage_byte_seconds_total", "default"))
          .isPositive();
      assertThat(metrics).contains("chargeback_meter_up 1.0");
      Matcher errors =
          Pattern.compile(
                  "^chargeback_meter_scrape_errors_total\\{target=\"([^\"]+)\"} (\\S+)$",
                  Pattern.MULTILINE)
              .matcher(metrics);
      int targets = 0;
      while (errors.find()) {
        assertThat(Double.parseDouble(errors.group(2))).as(errors.group(1)).isZero();
        targets++;
      }
      assertThat(targets).as("every target, healthy ones at 0").isEqualTo(3);
      for (String path : new String[] {"/healthz", "/readyz"}) {
        assertThat(
                http.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                            .build(),
                        HttpResponse.BodyHandlers.ofString())
                    .statusCode())
            .isEqualTo(200);
      }
      // Scrapes in the same second of a store that has not moved on get the same answer: the
      // JVM's own figures (memory used) differ at every rendering, so equal bodies are reused
      // ones. The store moves three times a second here: of ten pairs, some fall between moves.
      int same = 0;
      for (int pair = 0; pair < 10; pair++) {
        HttpRequest scrape =
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build();
        String first = http.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
        String second = http.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
        same += first.equals(second) ? 1 : 0;
      }
      assertThat(same).as("pairs of scrapes answered alike").isPositive();
      Thread.sleep(3000);
    } finally {
      standalone.destroy();
      assertThat(standalone.waitFor(20, TimeUnit.SECONDS)).isTrue();
      nodeExporter.destroy();
      kubelet.stop();
    }
    // The real node-exporter's cores, integrated over the covered time.
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(dir.resolve("data"), false),
            new BillingCalendar(ZoneId.of("UTC")))) {
      Map<RollupKey, dev.chargeback.meter.store.Rollup> nodes = store.totals(Scope.NODE);
      double coreSeconds =
          nodes.entrySet().stream()
              .filter(e -> e.getKey().resource() == Resource.CAPACITY_CPU)
              .mapToDouble(e -> e.getValue().sum())
              .sum();
      double memory =
          nodes.entrySet().stream()
              .filter(e -> e.getKey().resource() == Resource.CAPACITY_MEMORY)
              .mapToDouble(e -> e.getValue().sum())
              .sum();
      String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
      assertThat(nodes.keySet()).anyMatch(k -> k.owner().equals(hostname));
      long seconds = store.meta().number("health/last_ingest_ms") / 1000;
      assertThat(seconds).isPositive();
      int cores = Runtime.getRuntime().availableProcessors();
      assertThat(coreSeconds).isGreaterThan(cores * 2.0);
      assertThat(memory).isPositive();
    }
    assertThat(Files.readString(dir.resolve("standalone.log"))).doesNotContain("Exception");
  }

  private static double value(String metrics, String name, String namespace) {
    Matcher m =
        Pattern.compile(
                "^" + name + "\\{namespace=\"" + namespace + "\"} (\\S+)$", Pattern.MULTILINE)
            .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
