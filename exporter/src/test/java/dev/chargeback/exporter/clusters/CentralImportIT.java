package dev.chargeback.exporter.clusters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.harness.Engine;
import dev.chargeback.meter.history.ChargebackImport;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A central chargeback importing three clusters' counters (one plain, one restored from an old
 * backup, one reinstalled with a new store) from real engines holding the same generated history:
 * Prometheus (blocks made by {@code promtool}) and VictoriaMetrics (its import API). Per cluster,
 * namespace and resource the hours add up to exactly the usage the clusters had, on both engines.
 */
class CentralImportIT {
  /** 2026-11-10T00:00Z: six whole hours from here. */
  private static final long START = 1_794_268_800L;

  private static final CounterHistory HISTORY = new CounterHistory(START, 6);

  @TempDir static Path shared;
  @TempDir Path dir;

  private static Engine prometheus;
  private static Engine victoria;

  @BeforeAll
  static void enginesWithTheSameHistory() throws Exception {
    Path file = shared.resolve("counters.om");
    try (Writer out = Files.newBufferedWriter(file)) {
      HISTORY.writeOpenMetrics(out);
    }
    Path tsdb = shared.resolve("tsdb");
    Engine.createBlocks(file, tsdb);
    prometheus = Engine.prometheus(tsdb, "global: {scrape_interval: 1m}\n", shared);
    victoria = Engine.victoriaMetrics(shared.resolve("vm"), shared);
    StringWriter text = new StringWriter();
    HISTORY.writeText(text);
    assertThat(
            victoria.post(
                "/api/v1/import/prometheus",
                "text/plain",
                text.toString().getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(204);
    assertThat(victoria.post("/internal/force_flush", "text/plain", new byte[0])).isEqualTo(200);
  }

  @AfterAll
  static void stopEngines() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (victoria != null) {
      victoria.close();
    }
  }

  private static PrometheusApi api(Engine engine) {
    return new PrometheusApi(
        PrometheusApi.endpoint(engine.url, "", "", "", false, Duration.ofSeconds(30)));
  }

  /** Per (cluster, namespace, resource) all-time totals in the central store, in quanta. */
  private static Map<List<String>, Long> totals(RollupStore store) {
    Map<List<String>, Long> out = new HashMap<>();
    for (String cluster : store.clusters()) {
      store
          .cluster(cluster)
          .totals(Scope.NAMESPACE)
          .forEach(
              (k, r) -> {
                if (!k.resource().isCost()) {
                  out.put(
                      List.of(cluster, k.owner(), k.resource().name()),
                      k.resource().units(r.sum()));
                }
              });
    }
    return out;
  }

  private void importsExactly(Engine engine) throws Exception {
    try (RollupStore store =
            new RollupStore(
                RocksKeyValueStore.openPrimary(dir.resolve("central"), false),
                new BillingCalendar(ZoneId.of("UTC")));
        PrometheusApi api = api(engine)) {
      ChargebackImport source = new ChargebackImport(store, api, "cluster", null, 1);
      ImportReport first = source.run(START * 1000, (START + 6 * 3600) * 1000);
      assertThat(first.failed()).isEmpty();
      assertThat(first.written()).hasSize(6);
      assertThat(first.clusters()).containsOnlyKeys("east", "north", "west");
      assertThat(store.clusters()).containsExactly("east", "north", "west");
      assertThat(totals(store)).isEqualTo(HISTORY.expected);
      // Nothing of another cluster in the store's own part.
      assertThat(store.totals(Scope.NAMESPACE)).isEmpty();
      assertThat(store.cluster("east").hours().all()).hasSize(6);

      ImportReport again = source.run(START * 1000, (START + 6 * 3600) * 1000);
      assertThat(again.written()).isEmpty();
      assertThat(again.alreadyOwned()).hasSize(6);
      assertThat(totals(store)).isEqualTo(HISTORY.expected);
    }
  }

  @Test
  void fromPrometheusEveryClustersNamespaceGetsExactlyTheUsageItHad() throws Exception {
    importsExactly(prometheus);
  }

  @Test
  void fromVictoriaMetricsTheSame() throws Exception {
    importsExactly(victoria);
  }

  @Test
  void aRestoredBackupIsNotBilledTwiceAndANewStoreCountsFromZero() {
    // What the generated history is, checked against the counters themselves: the restored
    // cluster's counter fell by far more than the usage it lost, and the reinstalled one's to
    // less than a step's use.
    long west = HISTORY.expected.get(List.of("west", "default", Resource.CPU.name()));
    long east = HISTORY.expected.get(List.of("east", "default", Resource.CPU.name()));
    assertThat(west).isPositive();
    assertThat(east).isPositive();
    CounterHistory.Series restored =
        HISTORY.series.stream()
            .filter(s -> s.cluster().equals("west") && s.resource() == Resource.CPU)
            .findFirst()
            .orElseThrow();
    long drop = 0;
    for (int i = 1; i < restored.units().length; i++) {
      drop = Math.max(drop, restored.units()[i - 1] - restored.units()[i]);
    }
    assertThat(drop).isGreaterThan(50 * Resource.CPU.units(0.125));
  }
}
