package dev.chargeback.meter.history;

import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.RollupStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Imports whole UTC hours from a Prometheus-compatible engine, a day of queries at a time: hours
 * that already have a source (in their cluster's part of the store) are not queried again, each
 * hour is written whole or not at all, and failed hours are listed and left for the next run.
 */
final class HourlyImport {
  private static final Logger LOG = LoggerFactory.getLogger(HourlyImport.class);
  static final long HOUR = HourlyUsage.HOUR;
  private static final long DAY = 24 * HOUR;

  /** Where usage comes from: the store's own cluster ("") or other clusters by name. */
  interface Source {
    /** The clusters with data in [from, to) (epoch millis); "" is the store's own. */
    List<String> clusters(long from, long to)
        throws PrometheusApi.QueryException, InterruptedException;

    /** Usage per cluster and hour (epoch millis) in [from, to). */
    Map<String, Map<Long, List<Usage>>> fetch(long from, long to)
        throws PrometheusApi.QueryException, InterruptedException;

    /**
     * Whether a cluster's hour without usage is settled (marked, never read again) rather than left
     * for a later run: true where later samples count in later hours anyway (counters' hourly
     * differences), so that one quiet hour does not make every run read the whole day again.
     */
    default boolean settlesEmptyHours() {
      return false;
    }
  }

  private final RollupStore store;
  private final Source source;
  private final Function<String, CostAccrual> accruals;
  private final int attempts;

  /**
   * @param accruals prices each cluster's usage into accrued cost as live metering does; null (or a
   *     null accrual) for none
   * @param attempts tries per day of queries before its hours are reported missing
   */
  HourlyImport(
      RollupStore store, Source source, Function<String, CostAccrual> accruals, int attempts) {
    this.store = store;
    this.source = source;
    this.accruals = accruals;
    this.attempts = attempts;
  }

  private RollupStore part(String cluster) {
    return cluster.isEmpty() ? store : store.cluster(cluster);
  }

  /** Imports the whole UTC hours in [from, to) (epoch millis; to is rounded down to an hour). */
  ImportReport run(long fromMillis, long toMillis) throws InterruptedException {
    ImportReport report = new ImportReport();
    long first = Math.floorDiv(fromMillis, HOUR) * HOUR;
    long end = Math.floorDiv(toMillis, HOUR) * HOUR;
    for (long chunk = first; chunk < end; ) {
      long chunkEnd = Math.min(end, Math.floorDiv(chunk, DAY) * DAY + DAY);
      importChunk(chunk, chunkEnd, report);
      chunk = chunkEnd;
    }
    return report;
  }

  private void importChunk(long from, long to, ImportReport report) throws InterruptedException {
    List<String> clusters = null;
    Map<String, Map<Long, List<Usage>>> fetched = null;
    String failure = null;
    for (int attempt = 1; attempt <= attempts && fetched == null; attempt++) {
      try {
        clusters = source.clusters(from, to);
        List<Long> open = new ArrayList<>();
        for (long h = from; h < to; h += HOUR) {
          for (String c : clusters) {
            if (part(c).hours().of(h) == null) {
              open.add(h);
              break;
            }
          }
        }
        fetched = open.isEmpty() ? Map.of() : source.fetch(open.getFirst(), open.getLast() + HOUR);
      } catch (PrometheusApi.QueryException e) {
        failure = e.getMessage();
        LOG.warn(
            "import of {} … failed (attempt {}/{}): {}",
            Instant.ofEpochMilli(from),
            attempt,
            attempts,
            failure);
        if (attempt < attempts) {
          Thread.sleep(1000L << (attempt - 1));
        }
      }
    }
    for (long h = from; h < to; h += HOUR) {
      if (fetched == null) {
        report.fail(h, failure);
        continue;
      }
      boolean written = false;
      boolean owned = false;
      for (String c : clusters) {
        RollupStore part = part(c);
        List<Usage> usages = fetched.getOrDefault(c, Map.of()).getOrDefault(h, List.of());
        if (part.hours().of(h) != null) {
          owned = true;
        } else if (!usages.isEmpty()) {
          if (part.applyImported(h, priced(c, usages))) {
            written = true;
            report.written(c, h);
          } else {
            owned = true;
          }
        } else if (source.settlesEmptyHours()) {
          part.applyImported(h, List.of());
        }
      }
      if (written) {
        report.written.add(h);
      } else if (owned) {
        report.alreadyOwned.add(h);
      } else {
        report.empty.add(h);
      }
    }
  }

  private List<Usage> priced(String cluster, List<Usage> usages) {
    CostAccrual accrual = accruals == null ? null : accruals.apply(cluster);
    if (accrual == null) {
      return usages;
    }
    List<Usage> all = new ArrayList<>(usages);
    all.addAll(accrual.costs(usages));
    return all;
  }
}
