package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.price.PricedResource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.store.Rollup;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A namespace's costliest workloads in a period, priced on usage before discount and tax. */
final class TopWorkloads {
  private static final int TOP = 10;

  private TopWorkloads() {}

  static List<Bill.WorkloadCost> of(
      RollupStore store, PriceBook book, String namespace, long from, long to, int minor) {
    Map<String, BigDecimal> costs = new TreeMap<>();
    BillingCalendar calendar = store.calendar();
    for (Map.Entry<RollupKey, List<Rollup>> e : days(store, namespace, from, to).entrySet()) {
      PricedResource priced = PricedResource.ofUsage(e.getKey().resource());
      if (priced == null) {
        continue;
      }
      for (Rollup r : e.getValue()) {
        PriceVersion v = book.at(calendar.date(r.bucketStart()));
        if (v != null) {
          BigDecimal cost =
              BigDecimal.valueOf(r.sum() / priced.unitsPerPrice)
                  .multiply(priced.price.apply(v.pricesFor(namespace)));
          costs.merge(e.getKey().workload(), cost, BigDecimal::add);
        }
      }
    }
    return costs.entrySet().stream()
        .map(
            e ->
                new Bill.WorkloadCost(
                    e.getKey(), e.getValue().setScale(minor, RoundingMode.HALF_UP)))
        .filter(w -> w.amount().signum() > 0)
        .sorted(
            Comparator.comparing(Bill.WorkloadCost::amount)
                .reversed()
                .thenComparing(Bill.WorkloadCost::workload))
        .limit(TOP)
        .toList();
  }

  /**
   * The daily buckets in [from, to) of the namespace's workloads: those the month's index names
   * (the cost follows the period, however many workloads came and went before), or, for a month
   * from before the index, every workload the namespace had.
   */
  private static Map<RollupKey, List<Rollup>> days(
      RollupStore store, String namespace, long from, long to) {
    YearMonth month = store.calendar().monthOf(Instant.ofEpochSecond(from));
    List<String> active = store.activeWorkloads(namespace, month);
    List<RollupKey> keys = new ArrayList<>();
    if (active != null) {
      for (String workload : active) {
        for (PricedResource p : PricedResource.values()) {
          keys.add(RollupKey.workload(namespace, workload, p.usage));
        }
      }
    } else {
      keys.addAll(store.sumsByOwner(Granularity.DAY, Scope.WORKLOAD, namespace, from, to).keySet());
    }
    return store.rollups(Granularity.DAY, keys, from, to);
  }
}
