package dev.chargeback.exporter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.exporter.harness.Engine;
import dev.chargeback.exporter.http.BillRoutes;
import dev.chargeback.exporter.http.HttpApi;
import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.OpenMetricsImport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.history.PrometheusImport;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.sim.SimHistory;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import io.javalin.Javalin;
import java.io.InputStream;
import java.io.Writer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;

/**
 * Figure 2 (a month of bills vs Prometheus) and its growth: the same generated history loaded into
 * a real Prometheus with promtool and into chargeback with the import role; the month-to-date CPU
 * and memory of every namespace asked of both.
 */
final class HistoryBench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Instant OCTOBER = Instant.parse("2026-10-01T00:00:00Z");
  private static final String CPU =
      "sum by (namespace) (increase(container_cpu_usage_seconds_total{container!=\"\"}[%dd]))";
  private static final String MEMORY =
      "sum by (namespace) (sum_over_time(container_memory_working_set_bytes{container!=\"\"}[%dd])) * 60";

  /** What one size measured. */
  record Result(
      int namespaces,
      int days,
      long samples,
      double oursMillis,
      double prometheusMillis,
      double worstDifference,
      long oursBytes,
      long prometheusBytes,
      double importSeconds,
      double importHours,
      String importedFrom) {}

  private HistoryBench() {}

  /**
   * Generates {@code namespaces} × 4 containers for {@code days} at 60 s, loads both, and times the
   * question; {@code fromFile} imports the OpenMetrics file, else imports from the Prometheus.
   */
  static Result run(int namespaces, int days, boolean fromFile, Path work) throws Exception {
    Path dir = Files.createDirectories(work.resolve("history-" + namespaces + "-" + days));
    long start = OCTOBER.toEpochMilli();
    long end = start + days * 86_400_000L;
    SimHistory history =
        new SimHistory(namespaces, 4, start, Duration.ofDays(days), Duration.ofSeconds(60));
    Path file = dir.resolve("history.om");
    try (Writer out = Files.newBufferedWriter(file)) {
      history.write(out);
    }
    Path tsdb = dir.resolve("tsdb");
    Engine.createBlocks(file, tsdb);
    long prometheusBytes = bytes(tsdb);
    try (Engine prometheus = Engine.prometheus(tsdb, "global: {}\n", dir);
        RocksKeyValueStore kv = RocksKeyValueStore.openPrimary(dir.resolve("chargeback"), false);
        RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC))) {
      // As the import role does: the defaults' retention (5-minute buckets for 8 days).
      store.retain(
          java.util.Map.of(
              dev.chargeback.meter.time.Granularity.FIVE_MINUTES, Duration.ofDays(8),
              dev.chargeback.meter.time.Granularity.HOUR, Duration.ofDays(100),
              dev.chargeback.meter.time.Granularity.DAY, Duration.ofDays(3650)),
          InstantSource.system());
      long t0 = System.nanoTime();
      ImportReport report;
      if (fromFile) {
        try (InputStream in =
            new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
          report =
              new OpenMetricsImport(store, Duration.ofMinutes(5), null, ParserLimits.DEFAULT)
                  .run(in);
        }
      } else {
        try (PrometheusApi api =
            new PrometheusApi(
                new PrometheusApi.Endpoint(
                    URI.create(prometheus.url), () -> null, null, null, Duration.ofMinutes(5)))) {
          report = new PrometheusImport(store, api, null, 1).run(start, end);
        }
      }
      double importSeconds = (System.nanoTime() - t0) / 1e9;
      Files.delete(file);
      kv.compact();
      long oursBytes = kv.sstBytes();

      Javalin http =
          HttpApi.start(
              "127.0.0.1:0",
              store,
              null,
              () -> null,
              cfg -> {
                new BillRoutes(
                        store,
                        new Biller(store, PriceBookLoader.defaults(), InstantSource.system()),
                        new BillPdf(BillPdf.Style.DEFAULT))
                    .register(cfg);
                BillRoutes.errors(cfg);
              });
      try (HttpClient client = HttpClient.newHttpClient()) {
        URI api =
            URI.create(
                "http://127.0.0.1:"
                    + http.port()
                    + "/api/v1/usage/namespaces?month="
                    + YearMonth.from(OCTOBER.atZone(ZoneOffset.UTC)));
        JsonNode ours = null;
        double[] oursMs = new double[21];
        for (int i = 0; i < oursMs.length; i++) {
          long q = System.nanoTime();
          ours =
              JSON.readTree(
                  client
                      .send(
                          HttpRequest.newBuilder(api).build(),
                          HttpResponse.BodyHandlers.ofByteArray())
                      .body());
          oursMs[i] = (System.nanoTime() - q) / 1e6;
        }
        Map<String, Double> theirs = new HashMap<>();
        double[] theirMs = new double[3];
        for (int i = 0; i < theirMs.length; i++) {
          long q = System.nanoTime();
          JsonNode cpu = prometheus.query(CPU.formatted(days), end / 1000);
          JsonNode memory = prometheus.query(MEMORY.formatted(days), end / 1000);
          theirMs[i] = (System.nanoTime() - q) / 1e6;
          for (JsonNode r : cpu) {
            theirs.put(
                r.path("metric").path("namespace").asText() + " cpu",
                r.path("value").get(1).asDouble());
          }
          for (JsonNode r : memory) {
            theirs.put(
                r.path("metric").path("namespace").asText() + " memory",
                r.path("value").get(1).asDouble());
          }
        }
        double worst = 0;
        for (int n = 0; n < namespaces; n++) {
          String ns = history.namespace(n);
          for (String r : new String[] {"cpu", "memory"}) {
            double a = ours.path("namespaces").path(ns).path(r).asDouble();
            double b = theirs.getOrDefault(ns + " " + r, 0.0);
            worst = Math.max(worst, Math.abs(a / b - 1));
          }
        }
        return new Result(
            namespaces,
            days,
            report.samples() > 0 ? report.samples() : history.samples(),
            Bench.median(oursMs),
            Bench.median(theirMs),
            worst,
            oursBytes,
            prometheusBytes,
            importSeconds,
            report.written().size(),
            fromFile ? "the OpenMetrics file" : "Prometheus");
      } finally {
        http.stop();
      }
    }
  }

  static long bytes(Path dir) throws java.io.IOException {
    try (var files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }
}
