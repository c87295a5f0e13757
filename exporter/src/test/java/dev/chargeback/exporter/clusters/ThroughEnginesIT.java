package dev.chargeback.exporter.clusters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chargeback.exporter.harness.Engine;
import dev.chargeback.exporter.harness.SimulatedExporter;
import dev.chargeback.exporter.role.Roles;
import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.ClusterBills;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.history.ChargebackImport;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.UsageCounters;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.sim.SimReplay;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.usage.PodDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two clusters' chargebacks, each metering a simulated cluster, scraped by real Prometheus servers:
 * one per cluster adding {@code cluster} as an external label and remote-writing to a real
 * VictoriaMetrics, and one scraping both with the label set by its scrape config. A central
 * chargeback imports the hours of the run from VictoriaMetrics and from that Prometheus' own query
 * API: per cluster, namespace and resource it gets exactly the clusters' own totals (their stores
 * were made in the first of those hours, so their counters count whole), and a namespace of both
 * clusters gets one bill of both.
 *
 * <p>The simulated clusters' time runs fast (hours of usage metered in a minute) while the engines
 * scrape and stamp in real time: Prometheus remote-writes only samples newer than its own start and
 * refuses samples ahead of the clock, so the hours imported are the run's own (the last one still
 * open, read up to its latest samples). {@code CentralImportIT} covers whole past hours, counters
 * that go down, and the bills' HTTP API.
 */
class ThroughEnginesIT {
  private static final long MINUTE = 60_000;
  private static final long HOUR = 60 * MINUTE;
  private static final long STEP = 10 * MINUTE;

  @TempDir Path dir;

  /** A cluster: its store, its meter and targets, and its exporter. */
  private static final class Cluster implements AutoCloseable {
    final String name;
    final RollupStore store;
    final Meter meter;
    final List<Target> targets;
    final Roles.Running exporter;

    Cluster(String name, Path dir, List<Target> targets) throws Exception {
      this.name = name;
      Path data = dir.resolve(name);
      store =
          new RollupStore(
              RocksKeyValueStore.openPrimary(data, false), new BillingCalendar(ZoneId.of("UTC")));
      meter =
          new Meter(
              store,
              ParserLimits.DEFAULT,
              new PodDirectory(),
              Duration.ofMinutes(3),
              new CostAccrual(PriceBookLoader.defaults(), store.calendar()));
      this.targets = targets;
      exporter = SimulatedExporter.serve(data, null);
    }

    String target() {
      return "127.0.0.1:" + exporter.port();
    }

    /** The all-time totals per namespace of what the exporter counts, in quanta. */
    Map<List<String>, Long> totals() {
      Map<List<String>, Long> totals = new HashMap<>();
      store
          .totals(Scope.NAMESPACE)
          .forEach(
              (k, r) -> {
                if (UsageCounters.of(k.resource()) != null && r.sum() != 0) {
                  totals.put(
                      List.of(name, k.owner(), k.resource().name()), k.resource().units(r.sum()));
                }
              });
      return totals;
    }

    @Override
    public void close() {
      exporter.close();
      store.close();
    }
  }

  private static String scrape(String job, String target, String path, String cluster) {
    return "  - job_name: "
        + job
        + "\n    honor_labels: true\n    metrics_path: "
        + path
        + "\n    static_configs:\n      - targets: ['"
        + target
        + "']"
        + (cluster == null ? "" : "\n        labels: {cluster: " + cluster + "}")
        + "\n";
  }

  @Test
  void aCentralChargebackImportsBothClustersExactlyFromVictoriaMetricsAndFromPrometheus()
      throws Exception {
    long firstHour = System.currentTimeMillis() / HOUR * HOUR;
    SimCluster sim = new SimCluster();
    List<Target> all = SimReplay.targets(sim, "http://replay/sim");
    // west runs without sim-node-1: the two clusters use different amounts.
    List<Target> west = all.stream().filter(t -> !t.node().equals(sim.nodes().getFirst())).toList();
    List<AutoCloseable> closing = new ArrayList<>();
    try (Cluster e = new Cluster("east", dir, all);
        Cluster w = new Cluster("west", dir, west);
        Engine victoria = Engine.victoriaMetrics(dir.resolve("vm"), dir)) {
      String remoteWrite =
          "remote_write:\n  - url: "
              + victoria.url
              + "/api/v1/write\n    queue_config: {batch_send_deadline: 1s}\n";
      for (Cluster c : List.of(e, w)) {
        closing.add(
            Engine.prometheus(
                dir.resolve("p-" + c.name),
                "global: {scrape_interval: 1s, external_labels: {cluster: "
                    + c.name
                    + "}}\nscrape_configs:\n"
                    + scrape("chargeback", c.target(), "/metrics", null)
                    + remoteWrite,
                dir));
      }
      Engine both =
          Engine.prometheus(
              dir.resolve("p-both"),
              "global: {scrape_interval: 1s}\nscrape_configs:\n"
                  + scrape("east", e.target(), "/metrics", "east")
                  + scrape("west", w.target(), "/metrics", "west"),
              dir);
      closing.add(both);

      // Three simulated hours, ten minutes at a time, while the engines scrape every second.
      long simStart = firstHour - 24 * HOUR;
      for (long t = simStart; t < simStart + 3 * HOUR; t += STEP) {
        for (Cluster c : List.of(e, w)) {
          SimReplay.replay(sim, c.meter, c.targets, t, t + STEP - MINUTE, MINUTE);
        }
        Thread.sleep(300);
      }
      Map<List<String>, Long> expected = new HashMap<>();
      expected.putAll(e.totals());
      expected.putAll(w.totals());
      assertThat(expected.keySet().stream().map(k -> k.get(1)).distinct()).contains("team-a");

      // Both engines hold the final counters (through remote write, and scraped).
      String probe = "chargeback_usage_cpu_seconds_total{namespace=\"team-a\"}";
      long deadline = System.currentTimeMillis() + 120_000;
      for (Engine engine : List.of(victoria, both)) {
        while (!holds(engine, probe, expected)) {
          assertThat(System.currentTimeMillis()).as(engine.url).isLessThan(deadline);
          Thread.sleep(500);
        }
      }

      long lastHour = System.currentTimeMillis() / HOUR * HOUR;
      for (Engine engine : List.of(victoria, both)) {
        Path central = dir.resolve("central-" + engine.pid);
        try (RollupStore store =
                new RollupStore(
                    RocksKeyValueStore.openPrimary(central, false),
                    new BillingCalendar(ZoneId.of("UTC")));
            PrometheusApi api =
                new PrometheusApi(
                    PrometheusApi.endpoint(
                        engine.url, "", "", "", false, Duration.ofSeconds(30)))) {
          ImportReport report =
              new ChargebackImport(store, api, "cluster", null, 1).run(firstHour, lastHour + HOUR);
          assertThat(report.failed()).as(engine.url).isEmpty();
          assertThat(report.clusters()).as(engine.url).containsOnlyKeys("east", "west");
          assertThat(CentralImportIT.totals(store)).as(engine.url).isEqualTo(expected);

          ClusterBills bills =
              new ClusterBills(
                  store,
                  new Biller(
                      store,
                      PriceBookLoader.defaults(),
                      InstantSource.fixed(Instant.ofEpochMilli(lastHour + HOUR - 1))),
                  "central");
          Bill bill =
              bills.bill(
                  "team-a",
                  YearMonth.from(Instant.ofEpochMilli(lastHour).atZone(ZoneId.of("UTC"))));
          assertThat(bill.clusters()).containsOnlyKeys("east", "west");
          assertThat(bill.lines()).extracting(l -> l.cluster()).contains("east", "west");
        }
      }
    } finally {
      for (AutoCloseable c : closing) {
        c.close();
      }
    }
  }

  /** Whether the engine's latest values of {@code selector} are the clusters' totals. */
  private static boolean holds(Engine engine, String selector, Map<List<String>, Long> expected)
      throws Exception {
    JsonNode result = engine.query(selector, System.currentTimeMillis() / 1000);
    int matched = 0;
    for (JsonNode series : result) {
      String cluster = series.path("metric").path("cluster").asText();
      Long want = expected.get(List.of(cluster, "team-a", "CPU"));
      if (want == null || Resource.CPU.units(series.path("value").get(1).asDouble()) != want) {
        return false;
      }
      matched++;
    }
    return matched == 2;
  }
}
