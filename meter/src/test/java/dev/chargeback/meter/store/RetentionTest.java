package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Retention under pod churn: tens of thousands of short-lived workloads, each a series of its own.
 * Expiry deletes in bounded batches, only where something is old enough, and keeps the rest.
 */
class RetentionTest {
  private static final long HOUR = 3_600_000L;

  @Test
  void expiryDeletesInBoundedBatchesOnlyWhatIsOld() {
    InstrumentedKeyValueStore kv = new InstrumentedKeyValueStore(new MemoryKeyValueStore());
    RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));
    long start = 1_700_000_000_000L / HOUR * HOUR;
    int workloads = 20_000;
    // Each hour a new batch of unique namespaces runs for that hour (CI runs, preview
    // environments): namespaces, unlike workloads, have 5-minute buckets.
    for (int hour = 0; hour < 4; hour++) {
      List<Usage> usages = new ArrayList<>();
      long from = start + hour * HOUR;
      for (int w = 0; w < workloads / 4; w++) {
        usages.add(new Usage("ci-" + hour + "-" + w, "", "", Resource.CPU, from, from + HOUR, 1));
      }
      store.apply(new Ingest("t", from + HOUR, from, 0, usages, Map.of(), 0));
    }
    kv.batches.clear();
    // Keep the last two hours of 5-minute buckets.
    long cutoff = (start + 2 * HOUR) / 1000;
    store.expire(Granularity.FIVE_MINUTES, cutoff);

    assertThat(kv.batches).allMatch(size -> size <= RollupStore.EXPIRY_BATCH);
    // Each of the first two hours' namespaces has twelve old buckets, the cluster series (which
    // spans all hours) 24; the last two hours' namespaces get no delete.
    int expected = workloads / 2 * 12 + 24;
    assertThat(kv.batches.stream().mapToInt(Integer::intValue).sum()).isEqualTo(expected);
    assertThat(kv.batches.size()).isGreaterThan(1);
    // Point deletes only: RocksDB holds range deletions in memory, outside its cache.
    assertThat(kv.rangeDeletes.get()).isZero();

    RollupKey old = RollupKey.namespace("ci-0-7", Resource.CPU);
    RollupKey recent = RollupKey.namespace("ci-3-7", Resource.CPU);
    RollupKey cluster = new RollupKey(Scope.CLUSTER, "", "", Resource.CPU);
    long end = (start + 4 * HOUR) / 1000;
    assertThat(store.rollups(Granularity.FIVE_MINUTES, old, 0, end)).isEmpty();
    assertThat(store.sum(Granularity.FIVE_MINUTES, recent, 0, end)).isEqualTo(1.0);
    assertThat(store.sum(Granularity.FIVE_MINUTES, cluster, 0, end))
        .isEqualTo(workloads / 2.0, offset(1e-6));
    // Hourly buckets are another granularity: untouched.
    assertThat(store.sum(Granularity.HOUR, old, 0, end)).isEqualTo(1.0);
  }

  @Test
  void aBoundedRunVisitsAtMostItsShareAndPassesResume() {
    InstrumentedKeyValueStore kv = new InstrumentedKeyValueStore(new MemoryKeyValueStore());
    RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));
    long start = 1_700_000_000_000L / HOUR * HOUR;
    List<Usage> usages = new ArrayList<>();
    int workloads = 1_000;
    for (int w = 0; w < workloads; w++) {
      usages.add(new Usage("ci-" + w, "", "", Resource.CPU, start, start + HOUR, 1));
    }
    store.apply(new Ingest("t", start + HOUR, start, 0, usages, Map.of(), 0));
    long cutoff = (start + 2 * HOUR) / 1000; // everything is old
    int runs = 0;
    boolean done = false;
    while (!done) {
      long before = kv.reads.get();
      done = store.expire(Granularity.FIVE_MINUTES, cutoff, 3_000);
      assertThat(kv.reads.get() - before)
          .as("keys visited in run %d", runs)
          .isLessThanOrEqualTo(3_000);
      runs++;
    }
    // 1,000 namespaces and the cluster, twelve buckets each: runs of at most 3,000.
    int keys = (workloads + 1) * 12;
    assertThat(runs).isEqualTo((keys + 2_999) / 3_000);
    long end = (start + HOUR) / 1000;
    assertThat(
            store.rollups(
                Granularity.FIVE_MINUTES, RollupKey.namespace("ci-999", Resource.CPU), 0, end))
        .isEmpty();
    assertThat(
            store.rollups(
                Granularity.FIVE_MINUTES,
                new RollupKey(Scope.CLUSTER, "", "", Resource.CPU),
                0,
                end))
        .isEmpty();
  }
}
