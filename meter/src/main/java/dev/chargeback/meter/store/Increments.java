package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * One batch's rollup increments, gathered per series before any key is encoded: a usage is split
 * into each granularity's buckets once, however many series it counts in, and each series' key is
 * encoded once per batch, not once per usage and bucket.
 */
final class Increments {
  private static final Granularity[] GRANULARITIES = Granularity.values();

  private final BillingCalendar calendar;

  /** Per granularity, the first bucket kept (retention): older buckets are not written. */
  private final long[] keepFrom;

  private final Map<RollupKey, Series> series = new HashMap<>();

  Increments(BillingCalendar calendar, long[] keepFrom) {
    this.calendar = calendar;
    this.keepFrom = keepFrom;
  }

  /** {@code units} accrued evenly over [from, to], in each granularity's buckets. */
  Split split(long fromMillis, long toMillis, long units) {
    Split s = new Split(units);
    for (Granularity g : GRANULARITIES) {
      long keep = keepFrom[g.ordinal()];
      Buckets parts = s.parts[g.ordinal()];
      calendar.split(
          g,
          fromMillis,
          toMillis,
          units,
          (bucket, share) -> {
            if (bucket >= keep) {
              parts.add(bucket, share);
            }
          });
    }
    return s;
  }

  /**
   * Counts a split in a series: its total and its buckets, of every granularity for a namespace and
   * the cluster, of days for a workload or a node ({@link #FINE_SCOPES}).
   */
  void count(RollupKey key, Split s) {
    Series into = series.computeIfAbsent(key, k -> new Series());
    into.hasTotal = true;
    into.total += s.units;
    if (FINE_SCOPES.contains(key.scope())) {
      for (Granularity g : GRANULARITIES) {
        into.buckets[g.ordinal()].addAll(s.parts[g.ordinal()]);
      }
    } else {
      int day = Granularity.DAY.ordinal();
      into.buckets[day].addAll(s.parts[day]);
    }
  }

  /**
   * The scopes kept in 5-minute and hourly buckets, which only {@code /api/v1/usage} reads (per
   * namespace). Bills, top workloads, idle cost and coverage read days: a workload's finer buckets
   * were half the merge operands of a scrape (two of four per workload and resource) and never
   * read.
   */
  static final Set<Scope> FINE_SCOPES = EnumSet.of(Scope.NAMESPACE, Scope.CLUSTER);

  /** Counts a split in a series of day buckets only (no total, no finer buckets). */
  void countDays(RollupKey key, Split s) {
    int day = Granularity.DAY.ordinal();
    series.computeIfAbsent(key, k -> new Series()).buckets[day].addAll(s.parts[day]);
  }

  /** Adds the increments to {@code batch} as merge operands. */
  void writeTo(Batch batch) {
    for (Map.Entry<RollupKey, Series> e : series.entrySet()) {
      byte[] prefix = Keys.series(e.getKey());
      Series s = e.getValue();
      if (s.hasTotal) {
        batch.add(Family.TOTAL, prefix, s.total);
      }
      for (Granularity g : GRANULARITIES) {
        Buckets b = s.buckets[g.ordinal()];
        for (int i = 0; i < b.size; i += 2) {
          batch.add(RollupStore.family(g), prefix, b.pairs[i], b.pairs[i + 1]);
        }
      }
    }
  }

  /** About how many bytes {@link #writeTo} adds: for sizing a batch once. */
  int bytes() {
    return series.size() * 4 * 96;
  }

  /** A usage's units and their shares per granularity. */
  static final class Split {
    final long units;
    final Buckets[] parts = {new Buckets(), new Buckets(), new Buckets()};

    private Split(long units) {
      this.units = units;
    }
  }

  private static final class Series {
    boolean hasTotal;
    long total;
    final Buckets[] buckets = {new Buckets(), new Buckets(), new Buckets()};
  }

  /** Bucket starts and units, in pairs: a scrape touches one or two buckets of a granularity. */
  static final class Buckets {
    private long[] pairs = new long[4];
    private int size;

    void add(long bucket, long units) {
      for (int i = 0; i < size; i += 2) {
        if (pairs[i] == bucket) {
          pairs[i + 1] += units;
          return;
        }
      }
      if (size == pairs.length) {
        pairs = Arrays.copyOf(pairs, size * 2);
      }
      pairs[size++] = bucket;
      pairs[size++] = units;
    }

    void addAll(Buckets other) {
      for (int i = 0; i < other.size; i += 2) {
        add(other.pairs[i], other.pairs[i + 1]);
      }
    }
  }
}
