package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Point;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link KeyValueStore} must do, and the {@link RollupStore} semantics on top of it. Run
 * by {@code MemoryKeyValueStoreTest} and {@code RocksKeyValueStoreIT}.
 */
abstract class StoreContract {
  static final BillingCalendar SEOUL = new BillingCalendar(ZoneId.of("Asia/Seoul"));

  KeyValueStore kv;
  RollupStore store;

  abstract KeyValueStore open() throws Exception;

  /** Closes and reopens the same store (a restart). */
  abstract KeyValueStore reopen() throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    kv = open();
    store = new RollupStore(kv, SEOUL);
  }

  @AfterEach
  void tearDown() {
    kv.close();
  }

  static byte[] b(int... bytes) {
    byte[] out = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      out[i] = (byte) bytes[i];
    }
    return out;
  }

  private List<String> scanKeys(Family f, byte[] from, byte[] to) {
    List<String> keys = new ArrayList<>();
    kv.scan(f, from, to, (k, v) -> keys.add(java.util.Arrays.toString(k)));
    return keys;
  }

  @Test
  void everyCallAfterCloseFailsWithAStoreException() {
    kv.write(List.of(new Write.Put(Family.META, b(1), b(1))));
    kv.close();
    kv.close(); // closing twice is harmless
    assertThatThrownBy(() -> kv.get(Family.META, b(1))).isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> kv.scan(Family.META, b(0), null, (k, v) -> true))
        .isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> kv.write(List.of(new Write.Put(Family.META, b(2), b(2)))))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("closed");
    assertThatThrownBy(() -> store.series().lastScrape("any")).isInstanceOf(StoreException.class);
  }

  @Test
  void theSequenceGrowsWithEveryWriteAndNothingElse() {
    long before = kv.sequence();
    kv.get(Family.META, b(1));
    kv.scan(Family.META, b(0), b(9), (k, v) -> true);
    assertThat(kv.sequence()).isEqualTo(before);
    kv.write(List.of(new Write.Put(Family.META, b(1), b(1))));
    long once = kv.sequence();
    assertThat(once).isGreaterThan(before);
    kv.write(List.of(new Write.Delete(Family.META, b(1))));
    assertThat(kv.sequence()).isGreaterThan(once);
  }

  @Test
  void seekEachLandsOnTheFirstKeyAtOrAfterEachPosition() {
    kv.write(
        List.of(
            new Write.Put(Family.R5M, b(1, 1), b(1)),
            new Write.Put(Family.R5M, b(1, 2), b(2)),
            new Write.Put(Family.R5M, b(2, 1), b(3)),
            new Write.Put(Family.R5M, b(0x90, 0), b(4)),
            new Write.Put(Family.R1H, b(1, 0), b(5))));
    List<String> landed = new ArrayList<>();
    kv.seekEach(
        Family.R5M,
        b(0),
        (k, v) -> {
          landed.add(java.util.Arrays.toString(k) + "=" + v[0]);
          return new byte[] {(byte) (k[0] + 1)}; // skip the rest of this first byte
        });
    assertThat(landed).containsExactly("[1, 1]=1", "[2, 1]=3", "[-112, 0]=4");
    List<String> stopped = new ArrayList<>();
    kv.seekEach(
        Family.R5M,
        b(1, 2),
        (k, v) -> {
          stopped.add(java.util.Arrays.toString(k));
          return null;
        });
    assertThat(stopped).containsExactly("[1, 2]");
  }

  @Test
  void keysScanInUnsignedByteOrderWithinBounds() {
    kv.write(
        List.of(
            new Write.Put(Family.R1D, b(0x80), b(1)),
            new Write.Put(Family.R1D, b(0x01), b(2)),
            new Write.Put(Family.R1D, b(0x01, 0x00), b(3)),
            new Write.Put(Family.R1D, b(0xFF), b(4)),
            new Write.Put(Family.R1H, b(0x02), b(5))));
    assertThat(scanKeys(Family.R1D, b(0x01), b(0xFF))).containsExactly("[1]", "[1, 0]", "[-128]");
    assertThat(scanKeys(Family.R1D, b(0x02), null)).containsExactly("[-128]", "[-1]");
    assertThat(kv.get(Family.R1H, b(0x02))).containsExactly(5);
    assertThat(kv.get(Family.R1D, b(0x02))).isNull();
  }

  @Test
  void deletesAndDeleteRangesApplyInOneBatch() {
    kv.write(
        List.of(
            new Write.Put(Family.META, b(1), b(1)),
            new Write.Put(Family.META, b(2), b(2)),
            new Write.Put(Family.META, b(3), b(3)),
            new Write.Put(Family.META, b(9), b(9))));
    kv.write(
        List.of(
            new Write.DeleteRange(Family.META, b(1), b(3)),
            new Write.Delete(Family.META, b(9)),
            new Write.Put(Family.META, b(4), b(4))));
    assertThat(scanKeys(Family.META, b(0), b(10))).containsExactly("[3]", "[4]");
  }

  @Test
  void aVisitorCanStopTheScan() {
    for (int i = 0; i < 10; i++) {
      kv.write(List.of(new Write.Put(Family.SERIES, b(i), b(i))));
    }
    List<Integer> seen = new ArrayList<>();
    kv.scan(Family.SERIES, b(0), null, (k, v) -> seen.add((int) k[0]) && seen.size() < 3);
    assertThat(seen).containsExactly(0, 1, 2);
  }

  @Test
  void rollupKeysOrderByIdentityThenTime() {
    RollupKey a = RollupKey.namespace("default", Resource.CPU);
    long[] times = {-5, 0, 1_700_000_000, 1_700_003_600, Long.MAX_VALUE / 2};
    Random random = new Random(7);
    List<byte[]> keys = new ArrayList<>();
    for (long t : times) {
      keys.add(Keys.rollup(a, t));
    }
    java.util.Collections.shuffle(keys, random);
    keys.sort(java.util.Arrays::compareUnsigned);
    for (int i = 0; i < times.length; i++) {
      assertThat(Keys.decodeBucket(keys.get(i))).isEqualTo(times[i]);
      assertThat(Keys.decodeSeries(keys.get(i))).isEqualTo(a);
    }
    RollupKey hostile = RollupKey.workload("팀-a", "Deployment/\"x\"\n\u0000", Resource.MEMORY);
    assertThat(Keys.decodeSeries(Keys.rollup(hostile, 42))).isEqualTo(hostile);
  }

  static long at(String zoned) {
    return ZonedDateTime.parse(zoned).toInstant().toEpochMilli();
  }

  private static Ingest ingest(String target, long scrape, List<Usage> usages) {
    return new Ingest(target, scrape, Long.MIN_VALUE, 0, usages, Map.of(), usages.size());
  }

  @Test
  void aScrapeAddsToEveryGranularityScopeAndTotal() {
    // 300 core-seconds from 23:58 to 00:03 Seoul time (14:58–15:03 UTC): 2 minutes on one
    // local day, 3 on the next.
    long from = at("2026-11-01T14:58:00Z");
    long to = at("2026-11-01T15:03:00Z");
    store.apply(
        ingest(
            "t",
            to,
            List.of(new Usage("default", "Deployment/web", "n1", Resource.CPU, from, to, 300))));
    RollupKey ns = RollupKey.namespace("default", Resource.CPU);
    long nov1 = SEOUL.startOf(java.time.LocalDate.of(2026, 11, 1));
    long nov2 = SEOUL.startOf(java.time.LocalDate.of(2026, 11, 2));
    List<Rollup> days = store.rollups(Granularity.DAY, ns, nov1, nov2 + 86400);
    assertThat(days).extracting(Rollup::bucketStart).containsExactly(nov1, nov2);
    assertThat(days.get(0).sum()).isCloseTo(120, within(1e-9));
    assertThat(days.get(1).sum()).isCloseTo(180, within(1e-9));
    assertThat(store.sum(Granularity.FIVE_MINUTES, ns, 0, Long.MAX_VALUE / 2))
        .isCloseTo(300, within(1e-9));
    assertThat(store.sum(Granularity.HOUR, ns, 0, Long.MAX_VALUE / 2)).isCloseTo(300, within(1e-9));
    assertThat(store.totals(Scope.NAMESPACE).get(ns).sum()).isEqualTo(300);
    assertThat(store.totals(Scope.WORKLOAD))
        .containsKey(RollupKey.workload("default", "Deployment/web", Resource.CPU));
    assertThat(
            store
                .totals(Scope.CLUSTER)
                .get(new RollupKey(Scope.CLUSTER, "", "", Resource.CPU))
                .sum())
        .isEqualTo(300);
  }

  @Test
  void incrementsAccumulateAndSurviveARestart() throws Exception {
    long t = at("2026-11-10T00:00:00Z");
    RollupKey ns = RollupKey.namespace("team-a", Resource.NETWORK_RECEIVE);
    // Each scrape's state is every series so far (a scrape replaces the target's state).
    Map<Long, Point> series = new java.util.HashMap<>();
    for (int i = 0; i < 10; i++) {
      long to = t + (i + 1) * 30_000L;
      series.put((long) i, new Point(i, to));
      store.apply(
          new Ingest(
              "t",
              to,
              to - 30_000,
              30_000,
              List.of(new Usage("team-a", "", "", Resource.NETWORK_RECEIVE, to - 30_000, to, 1000)),
              Map.copyOf(series),
              1));
    }
    kv = reopen();
    store = new RollupStore(kv, SEOUL);
    assertThat(store.totals(Scope.NAMESPACE).get(ns).sum()).isEqualTo(10_000);
    assertThat(store.sum(Granularity.HOUR, ns, 0, Long.MAX_VALUE / 2)).isEqualTo(10_000);
    assertThat(store.series().of("t").asMap())
        .hasSize(10)
        .containsEntry(9L, new Point(9, t + 300_000));
    assertThat(store.series().lastScrape("t")).isEqualTo(t + 300_000);
    assertThat(store.health().samples()).isEqualTo(10);
    RollupKey covered = new RollupKey(Scope.CLUSTER, "t", "", Resource.COVERED);
    assertThat(store.totals(Scope.CLUSTER).get(covered).sum()).isEqualTo(300);
    // A restarted writer reads stored values, not a stale cache.
    store.apply(
        ingest("t", t, List.of(new Usage("team-a", "", "", Resource.NETWORK_RECEIVE, t, t, 1))));
    assertThat(store.totals(Scope.NAMESPACE).get(ns).sum()).isEqualTo(10_001);
  }

  @Test
  void addsSumSignedIntegersInBatchOrderAndSurviveARestart() throws Exception {
    byte[] key = b(7, 7);
    kv.write(List.of(new Write.Add(Family.R1D, key, 5), new Write.Add(Family.R1D, key, -12)));
    kv.write(List.of(new Write.Add(Family.R1D, key, Long.MAX_VALUE)));
    assertThat(Keys.decodeFixed(kv.get(Family.R1D, key))).isEqualTo(Long.MAX_VALUE - 7);
    // A put replaces what the adds made; adds go on from it.
    kv.write(
        List.of(
            new Write.Put(Family.R1D, key, Keys.fixed(100)), new Write.Add(Family.R1D, key, 1)));
    kv = reopen();
    kv.write(List.of(new Write.Add(Family.R1D, key, 1)));
    List<Long> seen = new ArrayList<>();
    kv.scan(Family.R1D, key, null, (k, v) -> seen.add(Keys.decodeFixed(v)));
    assertThat(seen).containsExactly(102L);
  }

  @Test
  void everyGranularityAddsUpToTheTotalExactly() {
    // Increments of a third of a core-second over spans that cut 5-minute, hour and day buckets
    // anywhere: each is rounded once, to a thousandth, and split in whole thousandths.
    Random random = new Random(42);
    long t = at("2026-11-01T14:58:07Z");
    List<Usage> usages = new ArrayList<>();
    double exact = 0;
    for (int i = 0; i < 500; i++) {
      long from = t + random.nextInt(3 * 86_400_000);
      long to = from + random.nextInt(7_200_000);
      double amount = (1 + random.nextInt(1000)) / 3.0;
      usages.add(new Usage("default", "", "", Resource.CPU, from, to, amount));
      exact += amount;
    }
    store.apply(ingest("t", t, usages));
    RollupKey ns = RollupKey.namespace("default", Resource.CPU);
    double total = store.totals(Scope.NAMESPACE).get(ns).sum();
    assertThat(total).isCloseTo(exact, within(500 * 0.0005));
    for (Granularity g : Granularity.values()) {
      assertThat(store.sum(g, ns, 0, Long.MAX_VALUE / 2)).as("%s", g).isEqualTo(total);
    }
  }

  @Test
  void totalsReadInTwoHalvesAreTheTotalsInKeyOrderAsTheyChange() {
    long t = at("2026-11-01T14:58:07Z");
    java.util.function.IntFunction<List<Usage>> namespaces =
        from -> {
          List<Usage> usages = new ArrayList<>();
          for (int n = from; n < from + 100; n++) {
            for (Resource r : List.of(Resource.CPU, Resource.MEMORY, Resource.COST_CPU)) {
              usages.add(new Usage("ns-" + n, "Deployment/a", "", r, t, t + 60_000, n + 1));
            }
          }
          return usages;
        };
    store.apply(ingest("t", t, namespaces.apply(0)));
    for (int round = 0; round < 4; round++) {
      List<Rollup> inOrder = new ArrayList<>();
      store.eachTotal(Scope.NAMESPACE, inOrder::add);
      // The first read is whole; the next ones split where the one before found its middle.
      assertThat(store.totalsInOrder(Scope.NAMESPACE)).as("round %d", round).isEqualTo(inOrder);
      assertThat(store.totalsInOrder(Scope.NAMESPACE)).as("round %d", round).isEqualTo(inOrder);
      // New namespaces sort before, between and after the ones there (by length, then bytes).
      store.apply(ingest("t", t, namespaces.apply(1_000 * (round + 1) - 50)));
    }
    assertThat(store.totalsInOrder(Scope.NAMESPACE)).hasSize(500 * 3);
  }

  @Test
  void workloadsAndNodesAreKeptByDayNamespacesAndTheClusterInEveryGranularity() {
    long t = at("2026-11-01T14:58:07Z");
    store.apply(
        ingest(
            "t",
            t,
            List.of(
                new Usage("default", "Deployment/web", "", Resource.CPU, t, t + 7_200_000, 72),
                new Usage("", "", "node-1", Resource.CAPACITY_CPU, t, t + 7_200_000, 7200))));
    RollupKey workload = RollupKey.workload("default", "Deployment/web", Resource.CPU);
    RollupKey node = new RollupKey(Scope.NODE, "node-1", "", Resource.CAPACITY_CPU);
    RollupKey ns = RollupKey.namespace("default", Resource.CPU);
    RollupKey cluster = new RollupKey(Scope.CLUSTER, "", "", Resource.CPU);
    long end = Long.MAX_VALUE / 2;
    for (Granularity g : Granularity.values()) {
      boolean fine = g != Granularity.DAY;
      assertThat(store.sum(g, ns, 0, end)).as("namespace %s", g).isEqualTo(72);
      assertThat(store.sum(g, cluster, 0, end)).as("cluster %s", g).isEqualTo(72);
      assertThat(store.sum(g, workload, 0, end)).as("workload %s", g).isEqualTo(fine ? 0 : 72);
      assertThat(store.sum(g, node, 0, end)).as("node %s", g).isEqualTo(fine ? 0 : 7200);
    }
    assertThat(store.totals(Scope.WORKLOAD).get(workload).sum()).isEqualTo(72);
    assertThat(store.totals(Scope.NODE).get(node).sum()).isEqualTo(7200);
  }

  @Test
  void rollupsWrittenAsDoublesAreConvertedOnceBeforeTheFirstAdd() throws Exception {
    // A store from before rollups were integers: 16-byte values (a double and a count).
    RollupKey ns = RollupKey.namespace("team-a", Resource.MEMORY);
    long day = SEOUL.startOf(java.time.LocalDate.of(2026, 11, 3));
    byte[] legacy =
        java.nio.ByteBuffer.allocate(16).putDouble(3.0 * (1 << 30) * 3600).putLong(9).array();
    kv.write(
        List.of(
            new Write.Put(Family.TOTAL, Keys.series(ns), legacy),
            new Write.Put(Family.R1D, Keys.rollup(ns, day), legacy),
            new Write.Delete(Family.META, Keys.meta(RollupFormat.META_KEY))));
    // Readers decode both forms meanwhile.
    assertThat(store.totals(Scope.NAMESPACE).get(ns).sum()).isEqualTo(3.0 * (1 << 30) * 3600);

    kv = reopen();
    store = new RollupStore(kv, SEOUL);
    assertThat(kv.get(Family.TOTAL, Keys.series(ns))).hasSize(8);
    assertThat(kv.get(Family.R1D, Keys.rollup(ns, day))).hasSize(8);
    store.apply(
        ingest(
            "t",
            day * 1000 + 1000,
            List.of(
                new Usage("team-a", "", "", Resource.MEMORY, day * 1000, day * 1000, 1 << 30))));
    double gibHours = 3.0 * (1 << 30) * 3600 + (1 << 30);
    assertThat(store.totals(Scope.NAMESPACE).get(ns).sum()).isEqualTo(gibHours);
    assertThat(store.sum(Granularity.DAY, ns, day, day + 86_400)).isEqualTo(gibHours);
    // Once converted, a restart converts nothing again.
    assertThat(RollupFormat.ensure(kv, store.meta(), kv::write)).isZero();
  }

  @Test
  void seriesOfOneTargetAreSeparateFromAnother() {
    store.apply(new Ingest("a", 1, Long.MIN_VALUE, 0, List.of(), Map.of(1L, new Point(1, 1)), 1));
    store.apply(new Ingest("ab", 1, Long.MIN_VALUE, 0, List.of(), Map.of(2L, new Point(2, 1)), 1));
    store.apply(new Ingest("a", 2, 1, 1, List.of(), Map.of(), 0));
    assertThat(store.series().of("a").asMap()).isEmpty();
    assertThat(store.series().of("ab").asMap()).containsOnlyKeys(2L);
  }

  @Test
  void expiryDropsOnlyOldBucketsOfEverySeries() {
    long base = at("2026-11-01T00:00:00Z");
    for (String ns : List.of("a", "b", "c")) {
      for (int h = 0; h < 48; h++) {
        long to = base + h * 3_600_000L + 1000;
        store.apply(ingest("t", to, List.of(new Usage(ns, "", "", Resource.CPU, to, to, 1))));
      }
    }
    long cutoff = base / 1000 + 24 * 3600;
    store.expire(Granularity.HOUR, cutoff);
    for (String ns : List.of("a", "b", "c")) {
      List<Rollup> left =
          store.rollups(
              Granularity.HOUR, RollupKey.namespace(ns, Resource.CPU), 0, Long.MAX_VALUE / 2);
      assertThat(left).hasSize(24).allMatch(r -> r.bucketStart() >= cutoff);
    }
    assertThat(store.totals(Scope.NAMESPACE).get(RollupKey.namespace("a", Resource.CPU)).sum())
        .isEqualTo(48);
  }

  @Test
  void sumsByOwnerGroupsAnOwnersSeriesOverAPeriod() {
    long t = at("2026-11-05T03:00:00Z");
    store.apply(
        ingest(
            "t",
            t,
            List.of(
                new Usage("default", "Deployment/a", "", Resource.CPU, t, t, 5),
                new Usage("default", "Deployment/b", "", Resource.CPU, t, t, 7),
                new Usage("default-2", "Deployment/a", "", Resource.CPU, t, t, 100))));
    Map<RollupKey, Double> sums =
        store.sumsByOwner(Granularity.DAY, Scope.WORKLOAD, "default", 0, Long.MAX_VALUE / 2);
    assertThat(sums)
        .containsOnly(
            Map.entry(RollupKey.workload("default", "Deployment/a", Resource.CPU), 5.0),
            Map.entry(RollupKey.workload("default", "Deployment/b", Resource.CPU), 7.0));
  }

  @Test
  void scrapeErrorsAreCountedPerTarget() {
    store.recordScrapeError("cadvisor:http://x");
    store.recordScrapeError("cadvisor:http://x");
    assertThat(store.health().scrapeErrors()).containsExactly(Map.entry("cadvisor:http://x", 2L));
  }

  @Test
  void bucketsBeyondRetentionAreNotWrittenButTotalsAre() {
    long now = at("2026-11-22T00:00:00Z");
    store.retain(
        Map.of(Granularity.FIVE_MINUTES, java.time.Duration.ofDays(8)),
        java.time.InstantSource.fixed(java.time.Instant.ofEpochMilli(now)));
    long old = now - 20L * 86_400_000;
    store.apply(
        ingest("t", old, List.of(new Usage("a", "", "", Resource.CPU, old, old + 60_000, 6))));
    store.apply(
        ingest("t", now, List.of(new Usage("a", "", "", Resource.CPU, now - 60_000, now, 4))));
    RollupKey key = RollupKey.namespace("a", Resource.CPU);
    assertThat(store.sum(Granularity.FIVE_MINUTES, key, 0, Long.MAX_VALUE / 2)).isEqualTo(4);
    assertThat(store.sum(Granularity.HOUR, key, 0, Long.MAX_VALUE / 2)).isEqualTo(10);
    assertThat(store.totals(Scope.NAMESPACE).get(key).sum()).isEqualTo(10);
  }
}
