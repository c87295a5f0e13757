package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Each UTC hour's one source: metered {@link #LIVE} or {@link #IMPORTED} (in {@link Family#META},
 * key {@code source/hour/HOUR}). Live metering owns the hours it recorded; an import fills only
 * hours without a source, and usage that would fall into an imported hour is clipped off. The
 * writer keeps the ledger in memory too; a reader (or a secondary) asks the store.
 */
public final class HourSources {
  /** An hour's source: metered live from the targets. */
  public static final String LIVE = "live";

  /** An hour's source: imported (OpenMetrics file or a Prometheus-compatible API). */
  public static final String IMPORTED = "imported";

  static final long HOUR_MILLIS = 3_600_000;
  private static final String PREFIX = "source/hour/";

  private final KeyValueStore kv;
  private final Meta meta;

  /** Epoch hour → source; the writer's own record. */
  private final ConcurrentNavigableMap<Long, String> hours = new ConcurrentSkipListMap<>();

  private volatile boolean anyImported;

  HourSources(KeyValueStore kv, Meta meta) {
    this.kv = kv;
    this.meta = meta;
    reload();
  }

  /** Where an hour's usage came from: {@link #LIVE}, {@link #IMPORTED}, or null for no data yet. */
  public String of(long hourStartMillis) {
    return hours.get(hourOf(hourStartMillis));
  }

  /** The first hour with a source (epoch millis), or null when there is none. */
  public Long first() {
    return hours.isEmpty() ? null : hours.firstKey() * HOUR_MILLIS;
  }

  /** Every hour with a source, by start (epoch millis). */
  public NavigableMap<Long, String> all() {
    TreeMap<Long, String> out = new TreeMap<>();
    hours.forEach((h, src) -> out.put(h * HOUR_MILLIS, src));
    return out;
  }

  /**
   * Seconds of imported hours within [from, to) (epoch seconds), read from the store itself so a
   * read-only secondary sees the writer's imports.
   */
  public long importedSeconds(long fromSeconds, long toSeconds) {
    long first = Math.floorDiv(fromSeconds, 3600);
    long last = Math.floorDiv(toSeconds - 1, 3600);
    long[] seconds = {0};
    kv.scan(
        Family.META,
        key(first),
        key(last + 1),
        (k, v) -> {
          if (IMPORTED.equals(new String(v, StandardCharsets.UTF_8))) {
            String digits = new String(k, StandardCharsets.UTF_8);
            long start = Long.parseLong(digits.substring(digits.length() - 12)) * 3600;
            seconds[0] +=
                Math.max(0, Math.min(toSeconds, start + 3600) - Math.max(fromSeconds, start));
          }
          return true;
        });
    return seconds[0];
  }

  static long hourOf(long millis) {
    return Math.floorDiv(millis, HOUR_MILLIS);
  }

  /**
   * The marks of the hours {@code usages} touch that have no source yet; adds them to {@code
   * newHours}.
   */
  List<Write> liveMarks(List<Usage> usages, List<Long> newHours) {
    List<Write> writes = new ArrayList<>();
    for (Usage u : usages) {
      for (long h = hourOf(u.fromMillis());
          h <= hourOf(Math.max(u.fromMillis(), u.toMillis() - 1));
          h++) {
        if (!hours.containsKey(h) && !newHours.contains(h)) {
          newHours.add(h);
          writes.add(mark(h, LIVE));
        }
      }
    }
    return writes;
  }

  /** Whether an hour (epoch hour) has a source. */
  boolean has(long hour) {
    return hours.containsKey(hour);
  }

  /** The write that gives an hour (epoch hour) its source. */
  static Write mark(long hour, String source) {
    return new Write.Put(Family.META, key(hour), source.getBytes(StandardCharsets.UTF_8));
  }

  /** Records a source the store now holds. */
  void remember(long hour, String source) {
    hours.put(hour, source);
    if (IMPORTED.equals(source)) {
      anyImported = true;
    }
  }

  /** Reads the ledger from the store again (after a failure that may have left memory behind). */
  void reload() {
    ConcurrentNavigableMap<Long, String> stored = new ConcurrentSkipListMap<>();
    meta.texts(PREFIX).forEach((h, src) -> stored.put(Long.parseLong(h), src));
    hours.clear();
    hours.putAll(stored);
    anyImported = hours.containsValue(IMPORTED);
  }

  /**
   * {@code usages} without the parts that fall into imported hours; a usage accrues evenly, so a
   * part is its share of the time. Free when nothing was ever imported (the live hot path).
   */
  List<Usage> withoutImported(List<Usage> usages) {
    if (!anyImported) {
      return usages;
    }
    List<Usage> out = new ArrayList<>(usages.size());
    for (Usage u : usages) {
      long first = hourOf(u.fromMillis());
      long last = hourOf(Math.max(u.fromMillis(), u.toMillis() - 1));
      boolean clean = true;
      for (long h = first; h <= last && clean; h++) {
        clean = !IMPORTED.equals(hours.get(h));
      }
      if (clean) {
        out.add(u);
        continue;
      }
      double span = Math.max(1, u.toMillis() - u.fromMillis());
      for (long h = first; h <= last; h++) {
        if (IMPORTED.equals(hours.get(h))) {
          continue;
        }
        long from = Math.max(u.fromMillis(), h * HOUR_MILLIS);
        long to = Math.min(u.toMillis(), (h + 1) * HOUR_MILLIS);
        if (to > from || u.toMillis() == u.fromMillis()) {
          out.add(
              new Usage(
                  u.namespace(),
                  u.workload(),
                  u.node(),
                  u.resource(),
                  from,
                  Math.max(from, to),
                  u.amount() * (u.toMillis() == u.fromMillis() ? 1 : (to - from) / span)));
        }
      }
    }
    return out;
  }

  private static byte[] key(long hour) {
    return Keys.meta(PREFIX + String.format(Locale.ROOT, "%012d", hour));
  }
}
