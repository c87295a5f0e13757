package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.Basis;
import dev.chargeback.meter.price.IdlePolicy;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.store.Rollup;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.Granularity;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A namespace's daily rollups over a billing period, with the cluster's usage and capacity, and the
 * raw quantity (metered units) of each bill line on each day: usage under the day's basis, or a
 * share of the capacity nobody used.
 */
final class MonthUsage {
  private static final List<Resource> CLUSTER =
      List.of(Resource.CPU, Resource.MEMORY, Resource.CAPACITY_CPU, Resource.CAPACITY_MEMORY);

  private final String namespace;
  private final Map<Resource, Map<Long, Double>> days = new EnumMap<>(Resource.class);
  private final Map<Resource, Map<Long, Double>> cluster = new EnumMap<>(Resource.class);

  private MonthUsage(String namespace) {
    this.namespace = namespace;
  }

  /**
   * The daily buckets in [from, to) (epoch seconds) of each of {@code namespaces}, with the
   * cluster's, read in one pass over the store (a bill with shared costs needs every namespace's
   * month).
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
    Map<Resource, Map<Long, Double>> cluster = new EnumMap<>(Resource.class);
    for (Resource r : CLUSTER) {
      cluster.put(r, days(read.get(new RollupKey(Scope.CLUSTER, "", "", r))));
    }
    Map<String, MonthUsage> out = new LinkedHashMap<>();
    for (String ns : namespaces) {
      MonthUsage u = new MonthUsage(ns);
      for (Resource r : Resource.METERED) {
        u.days.put(r, days(read.get(RollupKey.namespace(ns, r))));
      }
      u.cluster.putAll(cluster);
      out.put(ns, u);
    }
    return out;
  }

  private static Map<Long, Double> days(List<Rollup> rollups) {
    Map<Long, Double> out = new TreeMap<>();
    for (Rollup roll : rollups) {
      out.put(roll.bucketStart(), roll.sum());
    }
    return out;
  }

  /** Whether the namespace has no metered usage in the period. */
  boolean isEmpty() {
    return days.values().stream().allMatch(Map::isEmpty);
  }

  /** Whether node capacity (node-exporter) was metered in the period. */
  boolean hasCapacity() {
    return !cluster.get(Resource.CAPACITY_CPU).isEmpty();
  }

  /** Whether the namespace's requests (kube-state-metrics) were metered in the period. */
  boolean hasRequests() {
    return !days.get(Resource.REQUEST_CPU).isEmpty()
        || !days.get(Resource.REQUEST_MEMORY).isEmpty();
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
    Resource usage = line.priced.usage;
    double used = get(days, usage, day);
    Basis basis = v == null ? Basis.USAGE : v.basis();
    if (!hasRequests() || basis == Basis.USAGE || usage.billable() == null) {
      return used;
    }
    Resource request = usage == Resource.CPU ? Resource.REQUEST_CPU : Resource.REQUEST_MEMORY;
    double requested = get(days, request, day);
    if (basis == Basis.REQUEST) {
      return requested;
    }
    // Basis max as metered per container and interval; a day metered before that was (or
    // imported without it) falls back to the namespace's day, which can only bill less.
    Double billable = days.get(usage.billable()).get(day);
    return billable != null ? billable : Math.max(used, requested);
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
    if (separate != namespace.equals(Biller.IDLE)) {
      return 0;
    }
    Resource used = line.priced.usage;
    Resource capacity = used == Resource.CPU ? Resource.CAPACITY_CPU : Resource.CAPACITY_MEMORY;
    double unused = Math.max(0, get(cluster, capacity, day) - get(cluster, used, day));
    if (separate) {
      return unused;
    }
    double cpuPrice =
        BillResource.CPU.price(v.prices()).doubleValue() / BillResource.CPU.unitsPerPrice();
    double memPrice =
        BillResource.MEMORY.price(v.prices()).doubleValue() / BillResource.MEMORY.unitsPerPrice();
    double mine =
        get(days, Resource.CPU, day) * cpuPrice + get(days, Resource.MEMORY, day) * memPrice;
    double all =
        get(cluster, Resource.CPU, day) * cpuPrice + get(cluster, Resource.MEMORY, day) * memPrice;
    return all > 0 ? unused * mine / all : 0;
  }

  private static double get(Map<Resource, Map<Long, Double>> rollups, Resource r, long day) {
    return rollups.get(r).getOrDefault(day, 0.0);
  }
}
