package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.Basis;
import dev.chargeback.meter.price.IdlePolicy;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.store.Rollup;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A namespace's daily rollups over a billing period, with the cluster's usage and capacity, and the
 * raw quantity (metered units) of each bill line on each day: usage under the day's basis, or a
 * share of the capacity nobody used.
 */
final class MonthUsage {
  private static final List<Resource> CLUSTER =
      List.of(Resource.CPU, Resource.MEMORY, Resource.CAPACITY_CPU, Resource.CAPACITY_MEMORY);

  private final String namespace;

  /**
   * The period's day starts (epoch seconds, ascending), the index of every array below: a day is
   * found by a binary search of 31 at most, no boxed key (an overview of 1,000 namespaces looks up
   * days half a million times).
   */
  private final long[] starts;

  /** Per resource, each day's sum; NaN where the store has no bucket. */
  private final Map<Resource, double[]> days;

  private final Map<Resource, double[]> cluster;

  /** Whether requests (kube-state-metrics) were metered: asked for every line of every day. */
  private final boolean requests;

  private MonthUsage(
      String namespace,
      long[] starts,
      Map<Resource, double[]> days,
      Map<Resource, double[]> cluster) {
    this.namespace = namespace;
    this.starts = starts;
    this.days = days;
    this.cluster = cluster;
    this.requests = any(days.get(Resource.REQUEST_CPU)) || any(days.get(Resource.REQUEST_MEMORY));
  }

  /**
   * The daily buckets in [from, to) (epoch seconds, day starts) of each of {@code namespaces}, with
   * the cluster's, read in one pass over the store (a bill with shared costs needs every
   * namespace's month).
   */
  static Map<String, MonthUsage> readAll(
      RollupStore store, Collection<String> namespaces, long from, long to) {
    List<RollupKey> keys = new ArrayList<>();
    for (String ns : namespaces) {
      for (Resource r : Resource.METERED) {
        keys.add(RollupKey.namespace(ns, r));
      }
    }
    for (Resource r : CLUSTER) {
      keys.add(new RollupKey(Scope.CLUSTER, "", "", r));
    }
    Map<RollupKey, List<Rollup>> read = store.rollups(Granularity.DAY, keys, from, to);
    long[] starts = starts(store.calendar(), from, to);
    Map<Resource, double[]> cluster = new EnumMap<>(Resource.class);
    for (Resource r : CLUSTER) {
      cluster.put(r, days(read.get(new RollupKey(Scope.CLUSTER, "", "", r)), starts));
    }
    Map<String, MonthUsage> out = new LinkedHashMap<>();
    for (String ns : namespaces) {
      Map<Resource, double[]> own = new EnumMap<>(Resource.class);
      for (Resource r : Resource.METERED) {
        own.put(r, days(read.get(RollupKey.namespace(ns, r)), starts));
      }
      out.put(ns, new MonthUsage(ns, starts, own, cluster));
    }
    return out;
  }

  /** The starts of the days in [from, to). */
  private static long[] starts(BillingCalendar calendar, long from, long to) {
    List<Long> out = new ArrayList<>(32);
    for (LocalDate d = calendar.date(from); calendar.startOf(d) < to; d = d.plusDays(1)) {
      out.add(calendar.startOf(d));
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  private static double[] days(List<Rollup> rollups, long[] starts) {
    double[] out = new double[starts.length];
    Arrays.fill(out, Double.NaN);
    for (Rollup roll : rollups) {
      int i = Arrays.binarySearch(starts, roll.bucketStart());
      if (i >= 0) {
        out[i] = roll.sum();
      }
    }
    return out;
  }

  private static boolean any(double[] values) {
    for (double v : values) {
      if (!Double.isNaN(v)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the namespace has no metered usage in the period. */
  boolean isEmpty() {
    return days.values().stream().noneMatch(MonthUsage::any);
  }

  /** Whether node capacity (node-exporter) was metered in the period. */
  boolean hasCapacity() {
    return any(cluster.get(Resource.CAPACITY_CPU));
  }

  /** Whether the namespace's requests (kube-state-metrics) were metered in the period. */
  boolean hasRequests() {
    return requests;
  }

  /**
   * The raw quantity of a line on the day starting at {@code day}, priced by {@code v} (or none).
   */
  double quantity(BillResource line, PriceVersion v, long day) {
    if (line.idle()) {
      return idle(line, v, day);
    }
    if (namespace.equals(Biller.IDLE)) {
      return 0;
    }
    int index = Arrays.binarySearch(starts, day);
    if (index < 0) {
      return 0;
    }
    Resource usage = line.priced.usage;
    double used = get(days, usage, index);
    Basis basis = v == null ? Basis.USAGE : v.basis();
    if (!hasRequests() || basis == Basis.USAGE || usage.billable() == null) {
      return used;
    }
    Resource request = usage == Resource.CPU ? Resource.REQUEST_CPU : Resource.REQUEST_MEMORY;
    double requested = get(days, request, index);
    if (basis == Basis.REQUEST) {
      return requested;
    }
    // Basis max as metered per container and interval; a day metered before that was (or
    // imported without it) falls back to the namespace's day, which can only bill less.
    double billable = days.get(usage.billable())[index];
    return !Double.isNaN(billable) ? billable : Math.max(used, requested);
  }

  /**
   * The namespace's share of one day's idle capacity: capacity minus what all namespaces used,
   * shared by the namespace's part of the day's CPU and memory cost ({@code share}), or all of it
   * for {@link Biller#IDLE} ({@code separate}).
   */
  private double idle(BillResource line, PriceVersion v, long day) {
    if (v == null || v.idle() == IdlePolicy.IGNORE) {
      return 0;
    }
    boolean separate = v.idle() == IdlePolicy.SEPARATE;
    int index = Arrays.binarySearch(starts, day);
    if (separate != namespace.equals(Biller.IDLE) || index < 0) {
      return 0;
    }
    Resource used = line.priced.usage;
    Resource capacity = used == Resource.CPU ? Resource.CAPACITY_CPU : Resource.CAPACITY_MEMORY;
    double unused = Math.max(0, get(cluster, capacity, index) - get(cluster, used, index));
    if (separate) {
      return unused;
    }
    double cpuPrice =
        BillResource.CPU.price(v.prices()).doubleValue() / BillResource.CPU.unitsPerPrice();
    double memPrice =
        BillResource.MEMORY.price(v.prices()).doubleValue() / BillResource.MEMORY.unitsPerPrice();
    double mine =
        get(days, Resource.CPU, index) * cpuPrice + get(days, Resource.MEMORY, index) * memPrice;
    double all =
        get(cluster, Resource.CPU, index) * cpuPrice
            + get(cluster, Resource.MEMORY, index) * memPrice;
    return all > 0 ? unused * mine / all : 0;
  }

  private static double get(Map<Resource, double[]> rollups, Resource r, int index) {
    double v = rollups.get(r)[index];
    return Double.isNaN(v) ? 0 : v;
  }
}
