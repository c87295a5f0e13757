package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Other clusters' parts of one store: on RocksDB, each part sees only its own usage and hour
 * sources, the own cluster sees none of theirs, retention expires every part, and the parts are
 * found again after a reopen.
 */
class ClusterPartsTest {
  private static final long HOUR = 3_600_000L;
  private static final long START = 1_794_268_800_000L;

  private static List<Usage> cpu(String namespace, double cores) {
    return List.of(new Usage(namespace, "", "", Resource.CPU, START, START + HOUR, cores * 3600));
  }

  @Test
  void eachClusterSeesItsOwnUsageAndHoursAndNothingElse(@TempDir Path dir) {
    BillingCalendar utc = new BillingCalendar(ZoneOffset.UTC);
    try (RollupStore store = new RollupStore(RocksKeyValueStore.openPrimary(dir, false), utc)) {
      store.apply(new Ingest("t", START + HOUR, START, 0, cpu("default", 1), Map.of(), 0));
      assertThat(store.cluster("east").applyImported(START, cpu("default", 2))).isTrue();
      // A name that starts with another's, and one of non-ASCII letters.
      assertThat(store.cluster("east-2").applyImported(START, cpu("team-a", 3))).isTrue();
      assertThat(store.cluster("서울").applyImported(START, cpu("default", 4))).isTrue();
      // Hours have one source per cluster: east's hour is taken, the own cluster's is live.
      assertThat(store.cluster("east").applyImported(START, cpu("default", 9))).isFalse();
      assertThat(store.hours().of(START)).isEqualTo(HourSources.LIVE);
      assertThat(store.cluster("east").hours().of(START)).isEqualTo(HourSources.IMPORTED);
    }
    try (RollupStore store = new RollupStore(RocksKeyValueStore.openPrimary(dir, false), utc)) {
      assertThat(store.clusters()).containsExactly("east", "east-2", "서울");
      RollupKey cpu = RollupKey.namespace("default", Resource.CPU);
      assertThat(store.totals(Scope.NAMESPACE)).containsOnlyKeys(cpu);
      assertThat(store.totals(Scope.NAMESPACE).get(cpu).sum()).isEqualTo(3600.0);
      assertThat(store.cluster("east").totals(Scope.NAMESPACE).get(cpu).sum()).isEqualTo(7200.0);
      assertThat(store.cluster("east-2").totals(Scope.NAMESPACE))
          .containsOnlyKeys(RollupKey.namespace("team-a", Resource.CPU));
      assertThat(store.cluster("서울").sum(Granularity.DAY, cpu, 0, Long.MAX_VALUE / 2))
          .isEqualTo(4 * 3600.0);
      assertThat(store.meta().texts("source/hour/")).hasSize(1);
      assertThat(store.cluster("east").meta().texts("source/hour/")).hasSize(1);
      // Retention walks every part's buckets.
      store.expire(Granularity.FIVE_MINUTES, START / 1000 + 2 * 3600);
      assertThat(
              store.cluster("east").rollups(Granularity.FIVE_MINUTES, cpu, 0, Long.MAX_VALUE / 2))
          .isEmpty();
      assertThat(store.rollups(Granularity.FIVE_MINUTES, cpu, 0, Long.MAX_VALUE / 2)).isEmpty();
      assertThat(store.cluster("east").sum(Granularity.HOUR, cpu, 0, Long.MAX_VALUE / 2))
          .isEqualTo(7200.0);
    }
  }

  @Test
  void aClusterNameIsOneTo255Bytes() {
    RollupStore store =
        new RollupStore(new MemoryKeyValueStore(), new BillingCalendar(ZoneOffset.UTC));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.cluster(""))
        .isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> store.cluster("x".repeat(256)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.clusters()).isEmpty();
  }
}
