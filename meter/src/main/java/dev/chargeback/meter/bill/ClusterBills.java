package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.store.RollupStore;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bills of a central chargeback: a namespace's usage in every cluster it ran in, each cluster
 * priced with its own price versions ({@link PriceBook#forCluster}) and billed as its own bill,
 * then put together: the lines of all, each naming its cluster; subtotal, discount, tax and total
 * the sums of the clusters' (so the total is still the sum of the printed lines and adjustments);
 * and each cluster's subtotal by name.
 */
public final class ClusterBills {
  private final RollupStore store;
  private final Biller ownBiller;
  private final String own;
  private final Map<String, Biller> billers = new ConcurrentHashMap<>();

  /**
   * @param ownBiller the biller of the store's own cluster; other clusters' are made alike, with
   *     their sections of its price book
   * @param own the name the store's own cluster goes by beside others (config key {@code
   *     clusterName})
   */
  public ClusterBills(RollupStore store, Biller ownBiller, String own) {
    this.store = store;
    this.ownBiller = ownBiller;
    this.own = own;
  }

  /** The name the store's own cluster goes by. */
  public String own() {
    return own;
  }

  /** The clusters with usage: the own one and every other the store holds a part of. */
  public List<String> clusters() {
    List<String> out = new ArrayList<>();
    out.add(own);
    store.clusters().stream().filter(c -> !c.equals(own)).forEach(out::add);
    return out;
  }

  /** Whether the store holds other clusters' usage (bills then sum clusters). */
  public boolean central() {
    return !store.clusters().isEmpty();
  }

  /** The biller of one cluster's usage ({@link #own} for the store's own). */
  public Biller biller(String cluster) {
    if (cluster.equals(own)) {
      return ownBiller;
    }
    return billers.computeIfAbsent(
        cluster,
        c -> new Biller(store.cluster(c), ownBiller.priceBook().forCluster(c), ownBiller.clock()));
  }

  /** The store of one cluster's usage. */
  public RollupStore store(String cluster) {
    return cluster.equals(own) ? store : store.cluster(cluster);
  }

  /** The namespaces ever metered in any cluster. */
  public Set<String> namespaces() {
    Set<String> out = new TreeSet<>();
    for (String c : clusters()) {
      out.addAll(biller(c).namespaces());
    }
    return out;
  }

  /**
   * The bill of {@code namespace} for {@code month}: of the own cluster alone when the store holds
   * no other (as without clusters), else summed over every cluster the namespace ran in.
   *
   * @throws BillException NOT_FOUND when no cluster metered the namespace in that month
   */
  public Bill bill(String namespace, YearMonth month) {
    if (!central()) {
      return biller(own).bill(namespace, month);
    }
    Map<String, Bill> parts = new LinkedHashMap<>();
    BillException missing = null;
    for (String c : clusters()) {
      try {
        parts.put(c, biller(c).bill(namespace, month));
      } catch (BillException e) {
        if (e.kind() != BillException.Kind.NOT_FOUND) {
          throw e;
        }
        missing = e;
      }
    }
    if (parts.isEmpty()) {
      throw missing;
    }
    return combine(parts);
  }

  /** The bill of {@code namespace} in one cluster. */
  public Bill bill(String namespace, YearMonth month, String cluster) {
    if (!clusters().contains(cluster)) {
      throw new BillException(BillException.Kind.NOT_FOUND, "no cluster named " + cluster);
    }
    return biller(cluster).bill(namespace, month);
  }

  /** One bill of the clusters' bills of the same namespace and month, by cluster name. */
  static Bill combine(Map<String, Bill> parts) {
    Bill first = parts.values().iterator().next();
    for (Bill b : parts.values()) {
      if (!b.currency().equals(first.currency())) {
        throw new BillException(
            BillException.Kind.BAD_REQUEST,
            "the clusters' price books bill in different currencies ("
                + first.currency()
                + ", "
                + b.currency()
                + ")");
      }
    }
    List<BillLine> lines = new ArrayList<>();
    List<Bill.Segment> segments = new ArrayList<>();
    List<Bill.Correction> corrections = new ArrayList<>();
    List<Bill.Share> shares = new ArrayList<>();
    Set<String> notes = new LinkedHashSet<>();
    Set<PriceVersion> versions = new LinkedHashSet<>();
    Map<String, BigDecimal> subtotals = new LinkedHashMap<>();
    TreeMap<LocalDate, Map<BillResource, Double>> daily = new TreeMap<>();
    List<Bill.WorkloadCost> workloads = new ArrayList<>();
    BigDecimal subtotal = BigDecimal.ZERO;
    BigDecimal discount = BigDecimal.ZERO;
    BigDecimal tax = BigDecimal.ZERO;
    BigDecimal total = BigDecimal.ZERO;
    BigDecimal previous = null;
    BigDecimal forecast = BigDecimal.ZERO;
    boolean forecasts = true;
    boolean preliminary = false;
    boolean sealed = true;
    Instant closedAt = Instant.EPOCH;
    StringBuilder seals = new StringBuilder();
    double coverage = 1;
    Map<String, String> labels = Map.of();
    LocalDate issued = first.issueDate();
    LocalDate periodStart = first.periodStart();
    LocalDate periodEnd = first.periodEnd();
    for (Map.Entry<String, Bill> e : parts.entrySet()) {
      String cluster = e.getKey();
      Bill b = e.getValue();
      b.lines().forEach(l -> lines.add(l.inCluster(cluster)));
      for (Bill.Segment s : b.segments()) {
        segments.add(
            new Bill.Segment(
                s.version(),
                s.lines().stream().map(l -> l.inCluster(cluster)).toList(),
                s.discount(),
                s.tax()));
      }
      corrections.addAll(b.corrections());
      shares.addAll(b.shares());
      b.notes().forEach(n -> notes.add(cluster + ": " + n));
      versions.addAll(b.versions());
      subtotals.put(cluster, b.subtotal());
      for (Bill.DailyUsage d : b.daily()) {
        Map<BillResource, Double> day = daily.computeIfAbsent(d.day(), k -> new LinkedHashMap<>());
        d.quantities().forEach((r, q) -> day.merge(r, q, Double::sum));
      }
      b.topWorkloads()
          .forEach(
              w -> workloads.add(new Bill.WorkloadCost(cluster + "/" + w.workload(), w.amount())));
      subtotal = subtotal.add(b.subtotal());
      discount = discount.add(b.discount());
      tax = tax.add(b.tax());
      total = total.add(b.total());
      if (b.previousTotal() != null) {
        previous = previous == null ? b.previousTotal() : previous.add(b.previousTotal());
      }
      if (b.forecast() == null) {
        forecasts = false;
      } else {
        forecast = forecast.add(b.forecast().total());
      }
      preliminary |= b.preliminary();
      if (b.closing() == null) {
        sealed = false;
      } else {
        closedAt = closedAt.isAfter(b.closing().closedAt()) ? closedAt : b.closing().closedAt();
        seals.append(cluster).append('\n').append(b.closing().sha256()).append('\n');
      }
      coverage = Math.min(coverage, b.coverage());
      labels = labels.isEmpty() ? b.labels() : labels;
      issued = b.issueDate().isAfter(issued) ? b.issueDate() : issued;
      periodStart = b.periodStart().isBefore(periodStart) ? b.periodStart() : periodStart;
      periodEnd = b.periodEnd().isAfter(periodEnd) ? b.periodEnd() : periodEnd;
    }
    workloads.sort(Comparator.comparing(Bill.WorkloadCost::amount).reversed());
    int top = parts.values().stream().mapToInt(b -> b.topWorkloads().size()).max().orElse(0);
    List<Bill.DailyUsage> days = new ArrayList<>();
    daily.forEach((day, q) -> days.add(new Bill.DailyUsage(day, q)));
    return new Bill(
        first.namespace(),
        first.month(),
        first.currency(),
        preliminary,
        Biller.billNumber(first.namespace(), first.month()),
        issued,
        periodStart,
        periodEnd,
        List.copyOf(lines),
        subtotal,
        discount,
        tax,
        total,
        days,
        List.copyOf(workloads.subList(0, Math.min(top, workloads.size()))),
        coverage,
        List.copyOf(notes),
        List.copyOf(versions),
        labels,
        previous,
        List.copyOf(segments),
        List.copyOf(corrections),
        List.copyOf(shares),
        forecasts && preliminary ? new Bill.Forecast(forecast, first.forecast().method()) : null,
        sealed ? new Bill.Closing(closedAt, MonthClose.sha256(seals.toString())) : null,
        Collections.unmodifiableMap(subtotals));
  }

  /** The own cluster's present month (all clusters share the billing zone). */
  public YearMonth currentMonth() {
    return biller(own).currentMonth();
  }
}
