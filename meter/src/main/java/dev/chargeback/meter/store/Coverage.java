package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.time.Granularity;

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
    double covered = 0;
    int kubelets = 0;
    for (RollupKey key : store.totals(Scope.CLUSTER).keySet()) {
      if (key.resource() == Resource.COVERED && key.owner().startsWith("cadvisor:")) {
        covered += store.sum(Granularity.DAY, key, fromSeconds, toSeconds);
        kubelets++;
      }
    }
    // Imported hours are whole: they count once, beside the kubelets' average.
    double imported =
        store.hours().importedSeconds(fromSeconds, (long) Math.ceil(fromSeconds + period));
    return Math.min(1, ((kubelets == 0 ? 0 : covered / kubelets) + imported) / period);
  }
}
