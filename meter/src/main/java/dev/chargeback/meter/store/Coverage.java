package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The data coverage of a period, computed once for bills and for {@code chargeback_coverage_ratio}
 * alike: the share of the period up to now in which the kubelets were scraped within maxGap
 * (averaged over kubelets), plus the hours an import filled whole, capped at 1.
 */
public final class Coverage {
  private Coverage() {}

  /**
   * @param fromSeconds the period's start (a day boundary of the billing zone)
   * @param toSeconds the period's end (a day boundary); time after {@code nowSeconds} is not due
   */
  public static double ratio(RollupStore store, long fromSeconds, long toSeconds, long nowSeconds) {
    double period = Math.min(toSeconds, nowSeconds) - fromSeconds;
    if (period <= 0) {
      return 0;
    }
    List<RollupKey> kubelets = kubelets(store);
    double covered = 0;
    for (RollupKey key : kubelets) {
      covered += store.sum(Granularity.DAY, key, fromSeconds, toSeconds);
    }
    return share(store, covered, kubelets.size(), fromSeconds, period);
  }

  /**
   * Each day's ratio, as {@link #ratio} gives it for that day alone, of the days from {@code first}
   * to {@code last} that have begun by {@code nowSeconds}: the kubelets' day buckets read in one
   * pass.
   */
  public static double[] daily(
      RollupStore store, LocalDate first, LocalDate last, long nowSeconds) {
    BillingCalendar calendar = store.calendar();
    List<RollupKey> kubelets = kubelets(store);
    Map<RollupKey, List<Rollup>> read =
        store.rollups(
            Granularity.DAY, kubelets, calendar.startOf(first), calendar.startOf(last.plusDays(1)));
    Map<Long, Double> coveredByDay = new HashMap<>();
    for (List<Rollup> buckets : read.values()) {
      for (Rollup bucket : buckets) {
        coveredByDay.merge(bucket.bucketStart(), bucket.sum(), Double::sum);
      }
    }
    List<Double> out = new ArrayList<>();
    for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
      long from = calendar.startOf(day);
      double period = Math.min(calendar.startOf(day.plusDays(1)), nowSeconds) - from;
      if (period <= 0) {
        break;
      }
      out.add(share(store, coveredByDay.getOrDefault(from, 0.0), kubelets.size(), from, period));
    }
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** The kubelets' coverage series. */
  private static List<RollupKey> kubelets(RollupStore store) {
    List<RollupKey> out = new ArrayList<>();
    for (RollupKey key : store.totals(Scope.CLUSTER).keySet()) {
      if (key.resource() == Resource.COVERED && key.owner().startsWith("cadvisor:")) {
        out.add(key);
      }
    }
    return out;
  }

  /** The kubelets' average covered seconds plus the imported ones, over the period, at most 1. */
  private static double share(
      RollupStore store, double covered, int kubelets, long fromSeconds, double period) {
    // Imported hours are whole: they count once, beside the kubelets' average.
    double imported =
        store.hours().importedSeconds(fromSeconds, (long) Math.ceil(fromSeconds + period));
    return Math.min(1, ((kubelets == 0 ? 0 : covered / kubelets) + imported) / period);
  }
}
