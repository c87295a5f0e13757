package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The index of workloads with usage per namespace and billing month (family {@link Family#ACTIVE}).
 * Under pod churn a namespace collects millions of short-lived workloads over the years; a month's
 * bill reads only that month's from here, so its cost follows the period billed, not the history.
 * The writer adds a month's entry with the usage that first shows it, in the same batch, and
 * remembers (boundedly) which it wrote, so a steady workload costs no extra write.
 */
final class ActiveWorkloads {
  /** Since when the index is complete (months before it are found by scanning). */
  static final String META_SINCE = "index/active/since";

  private static final int REMEMBERED = 50_000;

  private final KeyValueStore kv;
  private final BillingCalendar calendar;
  private final Map<String, Boolean> written =
      new LinkedHashMap<>(1024, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
          return size() > REMEMBERED;
        }
      };

  private YearMonth month;
  private long monthFrom = Long.MAX_VALUE;
  private long monthTo = Long.MIN_VALUE;

  ActiveWorkloads(KeyValueStore kv, BillingCalendar calendar) {
    this.kv = kv;
    this.calendar = calendar;
  }

  /** The index entries {@code usages} need that are not known to be written; call within a lock. */
  List<Write> entries(List<Usage> usages, Set<String> pending) {
    List<Write> writes = new ArrayList<>();
    for (Usage u : usages) {
      if (u.namespace().isEmpty() || u.workload().isEmpty()) {
        continue;
      }
      YearMonth first = monthOf(u.fromMillis());
      YearMonth last = monthOf(Math.max(u.fromMillis(), u.toMillis() - 1));
      for (YearMonth m = first; !m.isAfter(last); m = m.plusMonths(1)) {
        String id = u.namespace() + '\u0000' + m + '\u0000' + u.workload();
        if (!written.containsKey(id) && pending.add(id)) {
          writes.add(
              new Write.Put(
                  Family.ACTIVE, Keys.active(u.namespace(), m, u.workload()), new byte[0]));
        }
      }
    }
    return writes;
  }

  /** The billing month of an instant; the last answer is reused (a scrape is in one month). */
  private YearMonth monthOf(long millis) {
    if (millis < monthFrom || millis >= monthTo) {
      YearMonth m = calendar.monthOf(Instant.ofEpochMilli(millis));
      long[] range = calendar.month(m);
      month = m;
      monthFrom = range[0] * 1000;
      monthTo = range[1] * 1000;
    }
    return month;
  }

  /** Remembers entries once their batch is written. */
  void written(Set<String> ids) {
    ids.forEach(id -> written.put(id, Boolean.TRUE));
  }

  void forget() {
    written.clear();
  }

  /** The workloads of {@code namespace} with usage in {@code month}, or null if not indexed. */
  List<String> workloads(String namespace, YearMonth month) {
    byte[] since = kv.get(Family.META, Keys.meta(META_SINCE));
    if (since == null
        || month.isBefore(YearMonth.parse(new String(since, StandardCharsets.UTF_8)))) {
      return null;
    }
    byte[] prefix = Keys.activePrefix(namespace, month);
    List<String> out = new ArrayList<>();
    kv.scan(
        Family.ACTIVE,
        prefix,
        Keys.prefixEnd(prefix),
        (k, v) -> {
          out.add(Keys.decodeActiveWorkload(k, prefix.length));
          return true;
        });
    return out;
  }

  /**
   * Records since when the index is complete, once: from the beginning for a new store, from next
   * month for a store that held data before the index existed.
   */
  void start(boolean hasData, YearMonth now) {
    if (!kv.writable() || kv.get(Family.META, Keys.meta(META_SINCE)) != null) {
      return;
    }
    YearMonth since = hasData ? now.plusMonths(1) : YearMonth.of(1970, 1);
    kv.write(
        List.of(
            new Write.Put(
                Family.META,
                Keys.meta(META_SINCE),
                since.toString().getBytes(StandardCharsets.UTF_8))));
  }
}
