package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Node label revisions, the label sets they name and the days they key, on RocksDB. */
class NodeLabelsIT {
  private static final BillingCalendar UTC = new BillingCalendar(ZoneId.of("UTC"));
  private static final long DAY = 86_400;
  private static final long START = 1_790_000_000L / DAY * DAY;

  @Test
  void revisionsAndPlacementsSurviveAReopenAndReadOnlyTheAskedDays(@TempDir Path dir) {
    try (RollupStore store = new RollupStore(RocksKeyValueStore.openPrimary(dir, true), UTC)) {
      assertThat(store.nodeLabels().placementAt("n1", START)).isNull();
      store.nodeLabels().record("n1", Map.of("pool", "a"), START);
      store.nodeLabels().record("n1", Map.of("pool", "b"), START + 2 * DAY);
      // Five days of 1 core-day on n1; the namespace never ran on n2 (no labels: no placement).
      for (int d = 0; d < 5; d++) {
        long from = (START + d * DAY) * 1000;
        store.apply(
            new Ingest(
                "t",
                0,
                Long.MIN_VALUE,
                0,
                List.of(
                    new Usage("ns", "", "n1", Resource.CPU, from, from + DAY * 1000, DAY),
                    new Usage("ns", "", "n2", Resource.CPU, from, from + DAY * 1000, DAY)),
                Map.of(),
                0));
      }
    }
    try (RollupStore store = new RollupStore(RocksKeyValueStore.openPrimary(dir, true), UTC)) {
      String a = store.nodeLabels().placementAt("n1", START);
      String b = store.nodeLabels().placementAt("n1", START + 2 * DAY);
      assertThat(store.nodeLabels().placements())
          .containsOnly(Map.entry(a, Map.of("pool", "a")), Map.entry(b, Map.of("pool", "b")));
      assertThat(store.nodeLabels().at("n1", START + 3 * DAY)).containsEntry("pool", "b");
      // Before the first revision, the first one's labels.
      assertThat(store.nodeLabels().placementAt("n1", START - DAY)).isEqualTo(a);
      // Another node of pool b shares its label set: one placement for the pool.
      store.nodeLabels().record("n3", Map.of("pool", "b"), START);
      assertThat(store.nodeLabels().placementAt("n3", START)).isEqualTo(b);
      // Days 1–3: one of the first revision, two of the second.
      List<Rollup> days =
          store.bucketsByOwner(
              Granularity.DAY, Scope.PLACEMENT, "ns", START + DAY, START + 4 * DAY);
      assertThat(days)
          .extracting(
              r -> r.key().workload() + " " + (r.bucketStart() - START) / DAY + " " + r.sum())
          .containsExactlyInAnyOrder(a + " 1 86400.0", b + " 2 86400.0", b + " 3 86400.0");
      // The cluster's use on each revision is kept beside it (for idle cost per class).
      assertThat(store.bucketsByOwner(Granularity.DAY, Scope.PLACEMENT, "", START, START + 5 * DAY))
          .hasSize(5);
      // An owner whose name starts like another's reads only its own.
      assertThat(
              store.bucketsByOwner(Granularity.DAY, Scope.PLACEMENT, "n", START, START + 5 * DAY))
          .isEmpty();
    }
  }
}
