package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.Basis;
import dev.chargeback.meter.price.IdlePolicy;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.price.PricedResource;
import dev.chargeback.meter.price.Prices;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.store.Coverage;
import dev.chargeback.meter.store.Rollup;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Prices a namespace's month from its daily rollups: each local day with the price version in force
 * that day. Lines are per resource and price version; quantities are rounded to 4 decimals first
 * and amounts once, to the currency's minor unit, so every printed line checks out.
 */
public final class Biller {
  /** The pseudo-namespace that carries idle cost under the {@code separate} policy. */
  public static final String IDLE = "_idle";

  private static final int QUANTITY_SCALE = 4;
  private static final int TOP_WORKLOADS = 10;

  /** The resources a workload's cost is made of. */
  private static final List<Resource> PRICED =
      List.of(
          Resource.CPU,
          Resource.MEMORY,
          Resource.NETWORK_RECEIVE,
          Resource.NETWORK_TRANSMIT,
          Resource.STORAGE);

  /** A billable resource: the line's name and unit, how to read its quantity and price. */
  private enum Line {
    CPU(PricedResource.CPU),
    MEMORY(PricedResource.MEMORY),
    NETWORK_RECEIVE(PricedResource.NETWORK_RECEIVE),
    NETWORK_TRANSMIT(PricedResource.NETWORK_TRANSMIT),
    STORAGE(PricedResource.STORAGE),
    /** A share of the node CPU capacity nobody used (idle policy share or separate). */
    IDLE_CPU("idle_cpu", PricedResource.CPU),
    IDLE_MEMORY("idle_memory", PricedResource.MEMORY);

    final String name;
    final String unit;
    final double divisor;
    final Function<Prices, BigDecimal> price;

    Line(PricedResource priced) {
      this(priced.label, priced);
    }

    /** A line priced as {@code priced}, under its own name. */
    Line(String name, PricedResource priced) {
      this.name = name;
      this.unit = priced.unit;
      this.divisor = priced.unitsPerPrice;
      this.price = priced.price;
    }
  }

  private final RollupStore store;
  private final PriceBook book;
  private final InstantSource clock;

  public Biller(RollupStore store, PriceBook book, InstantSource clock) {
    this.store = store;
    this.book = book;
    this.clock = clock;
  }

  public PriceBook priceBook() {
    return book;
  }

  /** The namespaces that have ever been metered. */
  public Set<String> namespaces() {
    Set<String> out = new TreeSet<>();
    store.totals(Scope.NAMESPACE).keySet().forEach(k -> out.add(k.owner()));
    if (book.versions().stream().anyMatch(v -> v.idle() == IdlePolicy.SEPARATE)) {
      out.add(IDLE);
    }
    return out;
  }

  /** The current month in the billing zone. */
  public YearMonth currentMonth() {
    return store.calendar().monthOf(clock.instant());
  }

  /**
   * The bill of {@code namespace} for {@code month}.
   *
   * @throws BillException NOT_FOUND when the namespace was never metered, or not in that month
   */
  public Bill bill(String namespace, YearMonth month) {
    BillingCalendar calendar = store.calendar();
    LocalDate today = LocalDate.ofInstant(clock.instant(), calendar.zone());
    if (month.isAfter(YearMonth.from(today))) {
      throw new BillException(BillException.Kind.BAD_REQUEST, "month " + month + " has not begun");
    }
    if (!namespace.equals(IDLE) && !namespaces().contains(namespace)) {
      throw new BillException(
          BillException.Kind.NOT_FOUND, "namespace " + namespace + " has never been metered");
    }
    LocalDate first = month.atDay(1);
    LocalDate last = YearMonth.from(today).equals(month) ? today : month.atEndOfMonth();
    long from = calendar.startOf(first);
    long to = calendar.startOf(last.plusDays(1));

    Map<Resource, Map<Long, Double>> days = new LinkedHashMap<>();
    for (Resource r : Resource.METERED) {
      days.put(r, byDay(RollupKey.namespace(namespace, r), from, to));
    }
    Map<Resource, Map<Long, Double>> cluster = new LinkedHashMap<>();
    for (Resource r :
        List.of(Resource.CPU, Resource.MEMORY, Resource.CAPACITY_CPU, Resource.CAPACITY_MEMORY)) {
      cluster.put(r, byDay(new RollupKey(Scope.CLUSTER, "", "", r), from, to));
    }
    boolean capacity = !cluster.get(Resource.CAPACITY_CPU).isEmpty();
    boolean nothing =
        namespace.equals(IDLE) ? !capacity : days.values().stream().allMatch(Map::isEmpty);
    if (nothing) {
      throw new BillException(
          BillException.Kind.NOT_FOUND,
          "no usage of namespace " + namespace + " was metered in " + month);
    }

    List<String> notes = new ArrayList<>();
    boolean requests =
        !days.get(Resource.REQUEST_CPU).isEmpty() || !days.get(Resource.REQUEST_MEMORY).isEmpty();
    // Quantity per (line, version), and per day for the charts.
    Map<PriceVersion, Map<Line, Double>> perVersion = new LinkedHashMap<>();
    List<Bill.DailyUsage> daily = new ArrayList<>();
    boolean unpriced = false;
    for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
      long start = calendar.startOf(day);
      PriceVersion v = book.at(day);
      Map<String, Double> quantities = new LinkedHashMap<>();
      for (Line line : Line.values()) {
        double q =
            (line == Line.IDLE_CPU || line == Line.IDLE_MEMORY
                    ? idle(line, namespace, v, days, cluster, start)
                    : namespace.equals(IDLE)
                        ? 0
                        : quantity(
                            line, v == null ? Basis.USAGE : v.basis(), requests, days, start))
                / line.divisor;
        quantities.put(line.name, q);
        if (v != null) {
          perVersion.computeIfAbsent(v, k -> new LinkedHashMap<>()).merge(line, q, Double::sum);
        } else if (q > 0) {
          unpriced = true;
        }
      }
      daily.add(new Bill.DailyUsage(day, quantities));
    }
    if (unpriced) {
      notes.add(
          "usage before "
              + book.versions().getFirst().effectiveFrom()
              + " has no price and is not billed");
    }
    if (!capacity && perVersion.keySet().stream().anyMatch(v -> v.idle() != IdlePolicy.IGNORE)) {
      notes.add("idle cost needs node capacity from node-exporter; none was metered");
    }
    for (PriceVersion v : perVersion.keySet()) {
      if (v.basis() != Basis.USAGE && !requests) {
        notes.add(
            "basis "
                + v.basis().name().toLowerCase(Locale.ROOT)
                + " needs kube-state-metrics requests, none were metered: billed on usage");
        break;
      }
    }

    int minor = Math.max(0, book.currency().getDefaultFractionDigits());
    boolean priceChanged = perVersion.size() > 1;
    List<BillLine> lines = new ArrayList<>();
    BigDecimal subtotal = zero(minor);
    BigDecimal discount = zero(minor);
    BigDecimal tax = zero(minor);
    for (Map.Entry<PriceVersion, Map<Line, Double>> e : perVersion.entrySet()) {
      PriceVersion v = e.getKey();
      Prices prices = v.pricesFor(namespace);
      BigDecimal segment = zero(minor);
      for (Line line : Line.values()) {
        BigDecimal quantity =
            BigDecimal.valueOf(e.getValue().getOrDefault(line, 0.0))
                .setScale(QUANTITY_SCALE, RoundingMode.HALF_UP);
        if (quantity.signum() == 0) {
          continue;
        }
        boolean idleLine = line == Line.IDLE_CPU || line == Line.IDLE_MEMORY;
        // Idle capacity is priced at the list price: no namespace's terms apply to it.
        BigDecimal unitPrice = line.price.apply(idleLine ? v.prices() : prices);
        BigDecimal amount = quantity.multiply(unitPrice).setScale(minor, RoundingMode.HALF_UP);
        lines.add(
            new BillLine(
                line.name,
                priceChanged ? "from " + v.effectiveFrom() : "",
                quantity,
                line.unit,
                unitPrice,
                amount));
        segment = segment.add(amount);
      }
      BigDecimal segmentDiscount =
          segment.multiply(v.discountFor(namespace)).setScale(minor, RoundingMode.HALF_UP);
      BigDecimal segmentTax =
          segment
              .subtract(segmentDiscount)
              .multiply(v.taxRate())
              .setScale(minor, RoundingMode.HALF_UP);
      subtotal = subtotal.add(segment);
      discount = discount.add(segmentDiscount);
      tax = tax.add(segmentTax);
    }
    BigDecimal total = subtotal.subtract(discount).add(tax);

    return new Bill(
        namespace,
        month,
        book.currency(),
        !last.equals(month.atEndOfMonth()) || !today.isAfter(last),
        billNumber(namespace, month),
        today,
        first,
        last,
        List.copyOf(lines),
        subtotal,
        discount,
        tax,
        total,
        List.copyOf(daily),
        topWorkloads(namespace, from, to, minor),
        Coverage.ratio(store, from, to, clock.millis() / 1000),
        List.copyOf(notes),
        List.copyOf(perVersion.keySet()),
        store.labels().at(namespace, month));
  }

  private static BigDecimal zero(int minor) {
    return BigDecimal.ZERO.setScale(minor);
  }

  private Map<Long, Double> byDay(RollupKey key, long from, long to) {
    Map<Long, Double> out = new TreeMap<>();
    for (Rollup roll : store.rollups(Granularity.DAY, key, from, to)) {
      out.put(roll.bucketStart(), roll.sum());
    }
    return out;
  }

  /**
   * A namespace's share of one day's idle capacity (raw units): capacity minus what all namespaces
   * used, shared by the namespace's part of the day's CPU and memory cost ({@code share}), or all
   * of it for {@link #IDLE} ({@code separate}).
   */
  private static double idle(
      Line line,
      String namespace,
      PriceVersion v,
      Map<Resource, Map<Long, Double>> days,
      Map<Resource, Map<Long, Double>> cluster,
      long day) {
    if (v == null || v.idle() == IdlePolicy.IGNORE) {
      return 0;
    }
    boolean separate = v.idle() == IdlePolicy.SEPARATE;
    if (separate != namespace.equals(IDLE)) {
      return 0;
    }
    Resource used = line == Line.IDLE_CPU ? Resource.CPU : Resource.MEMORY;
    Resource capacity = line == Line.IDLE_CPU ? Resource.CAPACITY_CPU : Resource.CAPACITY_MEMORY;
    double unused =
        Math.max(
            0,
            cluster.get(capacity).getOrDefault(day, 0.0)
                - cluster.get(used).getOrDefault(day, 0.0));
    if (separate) {
      return unused;
    }
    double cpuPrice = v.prices().cpuCoreHour().doubleValue() / 3600;
    double memPrice =
        v.prices().memoryGibHour().doubleValue() / PricedResource.MEMORY.unitsPerPrice;
    double mine =
        days.get(Resource.CPU).getOrDefault(day, 0.0) * cpuPrice
            + days.get(Resource.MEMORY).getOrDefault(day, 0.0) * memPrice;
    double all =
        cluster.get(Resource.CPU).getOrDefault(day, 0.0) * cpuPrice
            + cluster.get(Resource.MEMORY).getOrDefault(day, 0.0) * memPrice;
    return all > 0 ? unused * mine / all : 0;
  }

  /** The raw quantity (resource units) of a line on one day under a basis. */
  private static double quantity(
      Line line, Basis basis, boolean requests, Map<Resource, Map<Long, Double>> days, long day) {
    Resource usage =
        switch (line) {
          case CPU -> Resource.CPU;
          case MEMORY -> Resource.MEMORY;
          case NETWORK_RECEIVE -> Resource.NETWORK_RECEIVE;
          case NETWORK_TRANSMIT -> Resource.NETWORK_TRANSMIT;
          case STORAGE -> Resource.STORAGE;
          case IDLE_CPU, IDLE_MEMORY ->
              throw new IllegalArgumentException("idle capacity is not metered usage");
        };
    double used = days.get(usage).getOrDefault(day, 0.0);
    if (!requests || basis == Basis.USAGE || (line != Line.CPU && line != Line.MEMORY)) {
      return used;
    }
    Resource request = line == Line.CPU ? Resource.REQUEST_CPU : Resource.REQUEST_MEMORY;
    double requested = days.get(request).getOrDefault(day, 0.0);
    if (basis == Basis.REQUEST) {
      return requested;
    }
    // Basis max as metered per container and interval; a day metered before that was (or
    // imported without it) falls back to the namespace's day, which can only bill less.
    Double billable = days.get(usage.billable()).get(day);
    return billable != null ? billable : Math.max(used, requested);
  }

  private List<Bill.WorkloadCost> topWorkloads(String namespace, long from, long to, int minor) {
    Map<String, BigDecimal> costs = new TreeMap<>();
    BillingCalendar calendar = store.calendar();
    for (Map.Entry<RollupKey, List<Rollup>> e : workloadDays(namespace, from, to).entrySet()) {
      RollupKey key = e.getKey();
      Line line =
          switch (key.resource()) {
            case CPU -> Line.CPU;
            case MEMORY -> Line.MEMORY;
            case NETWORK_RECEIVE -> Line.NETWORK_RECEIVE;
            case NETWORK_TRANSMIT -> Line.NETWORK_TRANSMIT;
            case STORAGE -> Line.STORAGE;
            default -> null;
          };
      if (line == null) {
        continue;
      }
      for (Rollup r : e.getValue()) {
        PriceVersion v = book.at(calendar.date(r.bucketStart()));
        if (v != null) {
          BigDecimal cost =
              BigDecimal.valueOf(r.sum() / line.divisor)
                  .multiply(line.price.apply(v.pricesFor(namespace)));
          costs.merge(key.workload(), cost, BigDecimal::add);
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
        .limit(TOP_WORKLOADS)
        .toList();
  }

  /**
   * The daily buckets in [from, to) of the namespace's workloads: those the month's index names
   * (the cost follows the period, however many workloads came and went before), or, for a month
   * from before the index, every workload the namespace had.
   */
  private Map<RollupKey, List<Rollup>> workloadDays(String namespace, long from, long to) {
    YearMonth month = store.calendar().monthOf(Instant.ofEpochSecond(from));
    List<String> active = store.activeWorkloads(namespace, month);
    List<RollupKey> keys = new ArrayList<>();
    if (active != null) {
      for (String workload : active) {
        for (Resource r : PRICED) {
          keys.add(RollupKey.workload(namespace, workload, r));
        }
      }
    } else {
      keys.addAll(store.sumsByOwner(Granularity.DAY, Scope.WORKLOAD, namespace, from, to).keySet());
    }
    return store.rollups(Granularity.DAY, keys, from, to);
  }

  /** Deterministic: the same namespace and month always get the same number. */
  static String billNumber(String namespace, YearMonth month) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest((namespace + "\n" + month).getBytes(StandardCharsets.UTF_8));
      return "CB-"
          + month.toString().replace("-", "")
          + "-"
          + HexFormat.of().withUpperCase().formatHex(hash, 0, 4);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
