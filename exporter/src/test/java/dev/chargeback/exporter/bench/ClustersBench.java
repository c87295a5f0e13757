package dev.chargeback.exporter.bench;

import dev.chargeback.exporter.harness.Engine;
import dev.chargeback.meter.history.ChargebackImport;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.UsageCounters;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Locale;

/**
 * A central chargeback's cost per hour of import: {@code clusters} × {@code namespaces} namespaces'
 * counters (five per namespace, a sample a minute, as each cluster's Prometheus would remote-write
 * them) loaded into a real VictoriaMetrics, then two hours imported with {@code --source
 * chargeback}: the time, chargeback's CPU and the engine's CPU per hour imported.
 */
final class ClustersBench {
  private static final List<Resource> COUNTERS =
      List.of(
          Resource.CPU,
          Resource.MEMORY,
          Resource.NETWORK_RECEIVE,
          Resource.NETWORK_TRANSMIT,
          Resource.REQUEST_CPU);

  private static final int HOURS = 2;
  private static final long STEP = 60;

  /** What one size measured. */
  record Result(
      int clusters,
      long series,
      long samples,
      double loadSeconds,
      double importSeconds,
      double importCpu,
      double engineCpu,
      int hoursWritten,
      int clustersFound) {}

  private ClustersBench() {}

  static Result run(int clusters, int namespaces, Path work) throws Exception {
    Path dir = Files.createDirectories(work.resolve("clusters-" + clusters));
    // Whole hours three days ago, so the engine holds them as history.
    long start = (System.currentTimeMillis() / 1000 / 3600 - 72) * 3600;
    try (Engine vm = Engine.victoriaMetrics(dir.resolve("vm"), dir)) {
      long t0 = System.nanoTime();
      long samples = load(vm, clusters, namespaces, start);
      double load = (System.nanoTime() - t0) / 1e9;
      long self = ProcessHandle.current().pid();
      double cpu0 = IngestBench.cpuSeconds(self);
      double vm0 = IngestBench.cpuSeconds(vm.pid);
      long t1 = System.nanoTime();
      ImportReport report;
      int found;
      try (RollupStore store =
              new RollupStore(
                  RocksKeyValueStore.openPrimary(dir.resolve("central"), false),
                  new BillingCalendar(ZoneId.of("UTC")));
          PrometheusApi api =
              new PrometheusApi(
                  PrometheusApi.endpoint(vm.url, "", "", "", false, Duration.ofMinutes(10)))) {
        report =
            new ChargebackImport(store, api, "cluster", null, 1)
                .run(start * 1000, (start + HOURS * 3600L) * 1000);
        found = store.clusters().size();
      }
      double seconds = (System.nanoTime() - t1) / 1e9;
      if (!report.failed().isEmpty()) {
        throw new IllegalStateException("import failed: " + report.failed());
      }
      return new Result(
          clusters,
          (long) clusters * namespaces * COUNTERS.size(),
          samples,
          load,
          seconds / HOURS,
          (IngestBench.cpuSeconds(self) - cpu0) / HOURS,
          (IngestBench.cpuSeconds(vm.pid) - vm0) / HOURS,
          report.written().size(),
          found);
    }
  }

  /** Streams the generated counters into VictoriaMetrics' import API, 32 MB at a time. */
  private static long load(Engine vm, int clusters, int namespaces, long start) throws Exception {
    ByteArrayOutputStream chunk = new ByteArrayOutputStream(40 << 20);
    StringBuilder line = new StringBuilder(160);
    long samples = 0;
    for (int c = 0; c < clusters; c++) {
      String cluster = String.format(Locale.ROOT, "cluster-%03d", c);
      for (long t = start - 600; t <= start + HOURS * 3600L + 600; t += STEP) {
        line.setLength(0);
        line.append(ChargebackImport.CREATED)
            .append("{cluster=\"")
            .append(cluster)
            .append("\"} 1700000000 ")
            .append(t * 1000)
            .append('\n');
        chunk.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
        samples++;
      }
      for (int n = 0; n < namespaces; n++) {
        String labels =
            "{cluster=\""
                + cluster
                + "\",namespace=\""
                + String.format(Locale.ROOT, "ns-%03d", n)
                + "\"} ";
        for (Resource r : COUNTERS) {
          String name = UsageCounters.of(r).series();
          long value = 1_000_000L + n * 1000L;
          for (long t = start - 600; t <= start + HOURS * 3600L + 600; t += STEP) {
            value += (t / STEP + n) % 7 + 1;
            line.setLength(0);
            line.append(name)
                .append(labels)
                .append(r.amount(value))
                .append(' ')
                .append(t * 1000)
                .append('\n');
            chunk.writeBytes(line.toString().getBytes(StandardCharsets.UTF_8));
            samples++;
          }
          if (chunk.size() > 32 << 20) {
            post(vm, chunk);
          }
        }
      }
    }
    post(vm, chunk);
    if (vm.post("/internal/force_flush", "text/plain", new byte[0]) != 200) {
      throw new IllegalStateException("VictoriaMetrics did not flush");
    }
    return samples;
  }

  private static void post(Engine vm, ByteArrayOutputStream chunk) throws Exception {
    if (chunk.size() == 0) {
      return;
    }
    int status = vm.post("/api/v1/import/prometheus", "text/plain", chunk.toByteArray());
    if (status != 204) {
      throw new IllegalStateException("VictoriaMetrics import: HTTP " + status);
    }
    chunk.reset();
  }
}
