package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.Basis;
import dev.chargeback.meter.price.IdlePolicy;
import dev.chargeback.meter.price.NodeClass;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.price.Prices;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A namespace's daily rollups over a billing period, with the cluster's usage and capacity, and the
 * raw quantity (metered units) of each bill line on each day: usage under the day's basis, or a
 * share of the capacity nobody used.
 */
final class MonthUsage {
  private static final List<Resource> CLUSTER =
      List.of(
          Resource.CPU,
          Resource.MEMORY,
          Resource.CAPACITY_CPU,
          Resource.CAPACITY_MEMORY,
          Resource.CAPACITY_GPU);

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

  /** Where the usage ran: per placement (node label set), its days; empty without classes. */
  private final Placements placements;

  private MonthUsage(
      String namespace,
      long[] starts,
      Map<Resource, double[]> days,
      Map<Resource, double[]> cluster,
      Placements placements) {
    this.namespace = namespace;
    this.starts = starts;
    this.days = days;
    this.cluster = cluster;
    this.placements = placements;
    this.requests = any(days.get(Resource.REQUEST_CPU)) || any(days.get(Resource.REQUEST_MEMORY));
  }

  /**
   * A namespace's and the cluster's days per placement, and each placement's node labels, for
   * pricing by node class.
   *
   * @param own the namespace's metered resources per placement
   * @param cluster the cluster's CPU and memory use and the nodes' capacity per placement
   * @param labels each placement's node labels
   * @param classes per price version, each placement's class (filled as versions are asked)
   */
  record Placements(
      Map<String, Map<Resource, double[]>> own,
      Map<String, Map<Resource, double[]>> cluster,
      Map<String, Map<String, String>> labels,
      Map<PriceVersion, Map<String, String>> classes) {
    static final Placements NONE = new Placements(Map.of(), Map.of(), Map.of(), Map.of());

    boolean isEmpty() {
      return own.isEmpty() && cluster.isEmpty();
    }

    /** The class of a placement under {@code v} ("" for none, or labels never recorded). */
    String classOf(PriceVersion v, String placement) {
      Map<String, String> byPlacement = classes.computeIfAbsent(v, k -> new ConcurrentHashMap<>());
      return byPlacement.computeIfAbsent(
          placement, p -> v.classOf(labels.getOrDefault(p, Map.of())));
    }
  }

  /**
   * The daily buckets in [from, to) (epoch seconds, day starts) of each of {@code namespaces}, with
   * the cluster's, read in one pass over the store (a bill with shared costs needs every
   * namespace's month).
   */
  static Map<String, MonthUsage> readAll(
      RollupStore store, Collection<String> namespaces, long from, long to) {
    return readAll(store, namespaces, from, to, false);
  }

  /**
   * As {@link #readAll(RollupStore, Collection, long, long)}, and with {@code placed} also where
   * the usage ran (per node label set), for price versions with node classes.
   */
  static Map<String, MonthUsage> readAll(
      RollupStore store, Collection<String> namespaces, long from, long to, boolean placed) {
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
    Map<String, Map<String, String>> labels = placed ? store.nodeLabels().placements() : Map.of();
    Map<String, Map<Resource, double[]>> clusterPlaced =
        placed ? placed(store, "", from, to, starts) : Map.of();
    Map<PriceVersion, Map<String, String>> classes = new ConcurrentHashMap<>();
    Map<String, MonthUsage> out = new LinkedHashMap<>();
    for (String ns : namespaces) {
      Map<Resource, double[]> own = new EnumMap<>(Resource.class);
      for (Resource r : Resource.METERED) {
        own.put(r, days(read.get(RollupKey.namespace(ns, r)), starts));
      }
      Placements where =
          !placed
              ? Placements.NONE
              : new Placements(
                  ns.equals(Biller.IDLE) ? Map.of() : placed(store, ns, from, to, starts),
                  clusterPlaced,
                  labels,
                  classes);
      out.put(ns, new MonthUsage(ns, starts, own, cluster, where));
    }
    return out;
  }

  /** An owner's day buckets per placement and resource. */
  private static Map<String, Map<Resource, double[]>> placed(
      RollupStore store, String owner, long from, long to, long[] starts) {
    Map<String, Map<Resource, double[]>> out = new LinkedHashMap<>();
    for (Rollup r : store.bucketsByOwner(Granularity.DAY, Scope.PLACEMENT, owner, from, to)) {
      int i = Arrays.binarySearch(starts, r.bucketStart());
      if (i >= 0) {
        double[] days =
            out.computeIfAbsent(r.key().workload(), k -> new EnumMap<>(Resource.class))
                .computeIfAbsent(
                    r.key().resource(),
                    k -> {
                      double[] d = new double[starts.length];
                      Arrays.fill(d, Double.NaN);
                      return d;
                    });
        days[i] = r.sum();
      }
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

  /** Whether node capacity (node-exporter, or GPUs from kube-state-metrics) was metered. */
  boolean hasCapacity() {
    return any(cluster.get(Resource.CAPACITY_CPU)) || any(cluster.get(Resource.CAPACITY_GPU));
  }

  /** Whether the namespace's requests (kube-state-metrics) were metered in the period. */
  boolean hasRequests() {
    return requests;
  }

  /** Day arrays are indexed by {@link Resource#code}. */
  private static final int CODES = Resource.values().length + 1;

  private static final BillResource[] LINES = BillResource.values();

  /**
   * The raw quantity (metered units) of every line, indexed by {@link BillResource#ordinal()}, on
   * the day starting at {@code day}, priced by {@code v} (or none), per node class: first "" for
   * nodes of no class (and usage on no node), then each of {@code v}'s classes the namespace used
   * or, for idle lines, that had capacity, in the version's order. A class has quantities only of
   * the resources it prices; the rest of its nodes' usage is billed with nodes of no class. The
   * classes' quantities of the namespace's own lines add up to what its day bills without classes.
   */
  Map<String, double[]> quantities(PriceVersion v, long day) {
    int index = Arrays.binarySearch(starts, day);
    Map<String, double[]> out = classed(v, index);
    if (v != null && index >= 0 && v.pricesGpus() && !placements.isEmpty()) {
      gpus(out, v, index);
    }
    if (v != null && index >= 0 && !placements.isEmpty()) {
      storageClasses(out, v, index);
    }
    return out;
  }

  /**
   * Moves the day's storage of each StorageClass the namespace's prices name from the storage line
   * of no class to a group of its own ({@code sc/NAME}); claims of other classes stay.
   */
  private void storageClasses(Map<String, double[]> out, PriceVersion v, int index) {
    Prices prices = v.pricesFor(namespace);
    if (!prices.pricesStorageClasses() || namespace.equals(Biller.IDLE)) {
      return;
    }
    double[] rest = out.get("");
    int storage = BillResource.STORAGE.ordinal();
    placements
        .own()
        .forEach(
            (where, rollups) -> {
              double[] days = rollups.get(Resource.STORAGE);
              if (!BillLine.storageGroup(where)
                  || days == null
                  || Double.isNaN(days[index])
                  || prices.storageClass(BillLine.groupDevice(where)) == null) {
                return;
              }
              out.computeIfAbsent(where, k -> new double[LINES.length])[storage] += days[index];
              rest[storage] = Math.max(0, rest[storage] - days[index]);
            });
  }

  /** The lines of no device per node class, as {@link #quantities} gives them. */
  private Map<String, double[]> classed(PriceVersion v, int index) {
    double[] own = day(days, index);
    double[] all = day(cluster, index);
    Map<String, double[]> out = new LinkedHashMap<>();
    double[] rest = lines(v, own, all, v == null ? null : v.prices());
    out.put("", rest);
    if (v == null || v.nodeClasses().isEmpty() || placements.isEmpty() || index < 0) {
      return out;
    }
    Map<String, double[]> ownByClass = byClass(placements.own(), v, index);
    Map<String, double[]> allByClass = byClass(placements.cluster(), v, index);
    double[] ownRest = own.clone();
    double[] allRest = all.clone();
    // Idle capacity on a class's nodes of a resource the class does not price.
    double[] unpricedIdle = new double[LINES.length];
    for (NodeClass c : v.nodeClasses()) {
      double[] o = ownByClass.get(c.name());
      double[] a = allByClass.get(c.name());
      if (o == null && a == null) {
        continue;
      }
      o = o == null ? unknown() : o;
      a = a == null ? unknown() : a;
      double[] q = lines(v, o, a, v.listPrices(c.name()));
      boolean any = false;
      for (BillResource line : LINES) {
        int i = line.ordinal();
        if (line.price(c.prices()) == null) {
          // The class leaves this resource's price as on nodes of no class: billed with them.
          if (line.idle()) {
            unpricedIdle[i] += q[i];
          }
          q[i] = 0;
        } else if (!line.idle()) {
          rest[i] = Math.max(0, rest[i] - q[i]);
        }
        any |= q[i] != 0;
      }
      if (any) {
        out.put(c.name(), q);
      }
      subtract(ownRest, o);
      subtract(allRest, a);
    }
    // The idle capacity of nodes of no class: what is left of the cluster's capacity and use.
    double[] restIdle = lines(v, ownRest, allRest, v.prices());
    for (BillResource line : LINES) {
      if (line.idle()) {
        rest[line.ordinal()] = restIdle[line.ordinal()] + unpricedIdle[line.ordinal()];
      }
    }
    return out;
  }

  /**
   * Adds the day's GPU time per node class and device ({@link BillLine#group}): the namespace's
   * under the version's GPU basis, and idle GPUs (capacity nobody requested). A time-sliced GPU's
   * requests and capacity count replicas, each {@code 1 / nvidia.com/gpu.replicas} of a GPU.
   */
  private void gpus(Map<String, double[]> out, PriceVersion v, int index) {
    // Per group: own requests, own utilisation-weighted time, all requests, capacity.
    Map<String, double[]> sums = new TreeMap<>();
    gpuSums(sums, placements.own(), v, index, 0);
    gpuSums(sums, placements.cluster(), v, index, 2);
    sums.forEach(
        (group, x) -> {
          double[] q = new double[LINES.length];
          if (!namespace.equals(Biller.IDLE)) {
            q[BillResource.GPU.ordinal()] = gpuBilled(v.gpuBasis(), x[0], x[1]);
          }
          double unused = Math.max(0, nan0(x[4]) - nan0(x[2]));
          if (v.idle() == IdlePolicy.SEPARATE && namespace.equals(Biller.IDLE)) {
            q[BillResource.IDLE_GPU.ordinal()] = unused;
          } else if (v.idle() == IdlePolicy.SHARE && nan0(x[2]) > 0) {
            q[BillResource.IDLE_GPU.ordinal()] = unused * nan0(x[0]) / nan0(x[2]);
          }
          if (q[BillResource.GPU.ordinal()] != 0 || q[BillResource.IDLE_GPU.ordinal()] != 0) {
            out.put(group, q);
          }
        });
  }

  /**
   * Sums one owner's GPU placements of a day by group into {@code sums[group][at…at+2]}: requests
   * (in GPUs, replicas divided), utilisation-weighted time, or for the cluster requests and
   * capacity.
   */
  private void gpuSums(
      Map<String, double[]> sums,
      Map<String, Map<Resource, double[]>> placed,
      PriceVersion v,
      int index,
      int at) {
    placed.forEach(
        (where, rollups) -> {
          if (!BillLine.gpuGroup(where) || BillLine.storageGroup(where)) {
            return;
          }
          String placement = BillLine.groupClass(where);
          String nodeClass = placement.isEmpty() ? "" : placements.classOf(v, placement);
          double replicas =
              PriceBook.gpuReplicas(placements.labels().getOrDefault(placement, Map.of()));
          double[] x =
              sums.computeIfAbsent(
                  BillLine.group(nodeClass, BillLine.groupDevice(where)),
                  k -> new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN});
          add(x, at, rollups.get(Resource.REQUEST_GPU), index, replicas);
          if (at == 0) {
            add(x, 1, rollups.get(Resource.GPU), index, 1);
          } else {
            add(x, 4, rollups.get(Resource.CAPACITY_GPU), index, replicas);
          }
        });
  }

  private static void add(double[] x, int i, double[] days, int index, double divide) {
    if (days != null && !Double.isNaN(days[index])) {
      x[i] = nan0(x[i]) + days[index] / divide;
    }
  }

  /**
   * A day's billed GPU time: requests, utilisation-weighted time, or the larger; without
   * dcgm-exporter's figures (NaN) the requests, without requests the utilisation.
   */
  private static double gpuBilled(Basis basis, double requested, double used) {
    if (Double.isNaN(used)) {
      return nan0(requested);
    }
    if (Double.isNaN(requested)) {
      return used;
    }
    return switch (basis) {
      case REQUEST -> requested;
      case USAGE -> used;
      case MAX -> Math.max(requested, used);
    };
  }

  private static double nan0(double x) {
    return Double.isNaN(x) ? 0 : x;
  }

  /** One day's sums by resource code (NaN where nothing was stored). */
  private static double[] day(Map<Resource, double[]> rollups, int index) {
    double[] out = unknown();
    if (index >= 0) {
      rollups.forEach((r, d) -> out[r.code] = d[index]);
    }
    return out;
  }

  private static double[] unknown() {
    double[] out = new double[CODES];
    Arrays.fill(out, Double.NaN);
    return out;
  }

  /** One day's sums by resource code per node class (not "") of {@code v}, over placements. */
  private Map<String, double[]> byClass(
      Map<String, Map<Resource, double[]>> placed, PriceVersion v, int index) {
    Map<String, double[]> out = new HashMap<>();
    placed.forEach(
        (placement, rollups) -> {
          if (BillLine.gpuGroup(placement) || BillLine.storageGroup(placement)) {
            return;
          }
          String c = placements.classOf(v, placement);
          if (c.isEmpty()) {
            return;
          }
          double[] sums = out.computeIfAbsent(c, k -> unknown());
          rollups.forEach(
              (r, d) -> {
                double x = d[index];
                if (!Double.isNaN(x)) {
                  sums[r.code] = Double.isNaN(sums[r.code]) ? x : sums[r.code] + x;
                }
              });
        });
    return out;
  }

  private static void subtract(double[] from, double[] part) {
    for (int i = 0; i < from.length; i++) {
      if (!Double.isNaN(part[i])) {
        from[i] = (Double.isNaN(from[i]) ? 0 : from[i]) - part[i];
      }
    }
  }

  /** Every line's quantity from one day's sums ({@code own}, {@code all}: by resource code). */
  private double[] lines(PriceVersion v, double[] own, double[] all, Prices prices) {
    double[] q = new double[LINES.length];
    for (BillResource line : LINES) {
      q[line.ordinal()] =
          line.gpu()
              ? 0 // per device: see gpu()
              : line.idle()
                  ? idle(line, v, own, all, prices)
                  : namespace.equals(Biller.IDLE) ? 0 : used(line, v, own);
    }
    return q;
  }

  /** A line of the namespace's own usage, under the version's basis. */
  private double used(BillResource line, PriceVersion v, double[] own) {
    Resource usage = line.priced.usage;
    double used = get(own, usage);
    Basis basis = v == null ? Basis.USAGE : v.basis();
    if (!hasRequests() || basis == Basis.USAGE || usage.billable() == null) {
      return used;
    }
    Resource request = usage == Resource.CPU ? Resource.REQUEST_CPU : Resource.REQUEST_MEMORY;
    double requested = get(own, request);
    if (basis == Basis.REQUEST) {
      return requested;
    }
    // Basis max as metered per container and interval; a day metered before that was (or
    // imported without it) falls back to the namespace's day, which can only bill less.
    double billable = own[usage.billable().code];
    return !Double.isNaN(billable) ? billable : Math.max(used, requested);
  }

  /**
   * The namespace's share of one day's idle capacity: capacity minus what all namespaces used,
   * shared by the namespace's part of the day's CPU and memory cost at {@code prices} ({@code
   * share}), or all of it for {@link Biller#IDLE} ({@code separate}).
   */
  private double idle(
      BillResource line, PriceVersion v, double[] own, double[] all, Prices prices) {
    if (v == null || v.idle() == IdlePolicy.IGNORE) {
      return 0;
    }
    boolean separate = v.idle() == IdlePolicy.SEPARATE;
    if (separate != namespace.equals(Biller.IDLE)) {
      return 0;
    }
    Resource used = line.priced.usage;
    Resource capacity = used == Resource.CPU ? Resource.CAPACITY_CPU : Resource.CAPACITY_MEMORY;
    double unused = Math.max(0, get(all, capacity) - get(all, used));
    if (separate) {
      return unused;
    }
    double cpuPrice =
        BillResource.CPU.price(prices).doubleValue() / BillResource.CPU.unitsPerPrice();
    double memPrice =
        BillResource.MEMORY.price(prices).doubleValue() / BillResource.MEMORY.unitsPerPrice();
    double mine = get(own, Resource.CPU) * cpuPrice + get(own, Resource.MEMORY) * memPrice;
    double cluster = get(all, Resource.CPU) * cpuPrice + get(all, Resource.MEMORY) * memPrice;
    return cluster > 0 ? unused * mine / cluster : 0;
  }

  private static double get(double[] sums, Resource r) {
    double v = sums[r.code];
    return Double.isNaN(v) ? 0 : v;
  }
}
