package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.price.SharedCost;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Currency;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A namespace's bill for a month. {@code total = subtotal − discount + tax} and {@code subtotal} is
 * the sum of the lines' amounts, so the printed numbers always add up.
 *
 * @param periodEnd the last day covered: the month's last day, or today for an open month
 * @param daily usage per local day, per resource, in the lines' units
 * @param topWorkloads the costliest workloads, most expensive first
 * @param coverage the share of the period the meter actually observed, 0…1
 * @param notes plain-language remarks (e.g. a basis that fell back to usage)
 * @param versions the price versions the month's days were priced with
 * @param labels the namespace's chosen labels in that month (e.g. team, cost-center)
 * @param previousTotal the previous month's total, or null when the namespace had no bill then
 * @param segments the lines per price version, with that version's discount and tax
 * @param corrections changes to closed months' final bills since they closed, billed here; the
 *     total includes them
 * @param shares shared costs: on a tenant's bill its shares of shared namespaces' costs (positive),
 *     on a shared namespace's bill where its cost went (negative); the total includes them
 * @param forecast a preliminary bill's month-end forecast; null on a final bill
 * @param closing when the month closed and the final bill's content hash; null until then
 * @param clusters on a bill of several clusters (a central chargeback's), each cluster's subtotal
 *     by name; empty otherwise
 */
public record Bill(
    String namespace,
    YearMonth month,
    Currency currency,
    boolean preliminary,
    String billNumber,
    LocalDate issueDate,
    LocalDate periodStart,
    LocalDate periodEnd,
    List<BillLine> lines,
    BigDecimal subtotal,
    BigDecimal discount,
    BigDecimal tax,
    BigDecimal total,
    List<DailyUsage> daily,
    List<WorkloadCost> topWorkloads,
    double coverage,
    List<String> notes,
    List<PriceVersion> versions,
    Map<String, String> labels,
    BigDecimal previousTotal,
    List<Segment> segments,
    List<Correction> corrections,
    List<Share> shares,
    Forecast forecast,
    Closing closing,
    Map<String, BigDecimal> clusters) {

  public Bill {
    // A final bill stored before corrections (or clusters) existed has none.
    corrections = corrections == null ? List.of() : corrections;
    shares = shares == null ? List.of() : shares;
    clusters = clusters == null ? Map.of() : clusters;
  }

  /**
   * A part of a shared namespace's cost ({@code from}, or {@code _idle} for idle capacity) spread
   * to a tenant ({@code to}): {@code fraction} of the cost the shared namespace had under the price
   * version from {@code effectiveFrom}. Positive on the tenant's bill, negative on the shared
   * namespace's; one pool's parts add up to its cost exactly.
   */
  public record Share(
      String from, String to, LocalDate effectiveFrom, BigDecimal fraction, BigDecimal amount) {}

  /**
   * What a share is on this bill: {@code shared:NS} when received from shared namespace NS, {@code
   * spread:TENANT} when this (shared) namespace's cost went to TENANT.
   */
  public String shareItem(Share s) {
    return s.from().equals(namespace) ? "spread:" + s.to() : "shared:" + s.from();
  }

  /**
   * A share in words: "shared: kube-system 12.3%" ("shared: idle capacity 12.3%"), or on the shared
   * namespace's bill "spread to team-a 41.2%"; with the price version's first day when the month
   * had several.
   */
  public String shareLabel(Share s) {
    String percent = s.fraction().movePointRight(2).setScale(1, RoundingMode.HALF_UP) + "%";
    String label =
        s.from().equals(namespace)
            ? "spread to " + s.to() + " " + percent
            : "shared: "
                + (s.from().equals(SharedCost.IDLE) ? "idle capacity" : s.from())
                + " "
                + percent;
    return segments.size() > 1 ? label + " (from " + s.effectiveFrom() + ")" : label;
  }

  /** The sum of the shares' amounts (zero without any). */
  public BigDecimal sharesTotal() {
    return shares.stream().map(Share::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
  }

  /**
   * A change to a closed month, billed on a later bill: {@code item} is a resource's code, {@code
   * discount} or {@code tax}; the amounts of one month's corrections add up to how much that
   * month's bill would now differ from its final bill (and earlier corrections).
   */
  public record Correction(YearMonth month, String item, BigDecimal amount) {}

  /**
   * A final bill's seal: the month closed at {@code closedAt}; {@code sha256} is the hash of the
   * bill as stored then (JSON), which nothing changes afterwards.
   */
  public record Closing(Instant closedAt, String sha256) {}

  /** This bill, sealed. */
  public Bill sealed(Closing seal) {
    return new Bill(
        namespace,
        month,
        currency,
        false,
        billNumber,
        issueDate,
        periodStart,
        periodEnd,
        lines,
        subtotal,
        discount,
        tax,
        total,
        daily,
        topWorkloads,
        coverage,
        notes,
        versions,
        labels,
        previousTotal,
        segments,
        corrections,
        shares,
        null,
        seal,
        clusters);
  }

  /**
   * The days priced by one version: its lines, and the discount and tax on their sum (each rounded
   * once), so the bill's discount and tax are the sums over its segments.
   */
  public record Segment(
      PriceVersion version, List<BillLine> lines, BigDecimal discount, BigDecimal tax) {
    /** The sum of the lines' amounts. */
    public BigDecimal amount() {
      return lines.stream().map(BillLine::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
    }
  }

  /**
   * An estimate of the month's total, clearly not a charge.
   *
   * @param method how it was made, in words the bill prints
   */
  public record Forecast(BigDecimal total, String method) {}

  /** The change against the previous month's total, or null without one. */
  public BigDecimal change() {
    return previousTotal == null ? null : total.subtract(previousTotal);
  }

  /**
   * One day's usage per resource (on all nodes), and of it what ran on each node class's nodes
   * (empty without classes).
   */
  public record DailyUsage(
      LocalDate day,
      Map<BillResource, Double> quantities,
      Map<String, Map<BillResource, Double>> classes) {
    public DailyUsage {
      classes = classes == null ? Map.of() : classes;
    }

    public DailyUsage(LocalDate day, Map<BillResource, Double> quantities) {
      this(day, quantities, Map.of());
    }

    /**
     * The day's quantity of {@code r} in a line's group ({@link BillLine#group()}: its node class,
     * "" for nodes of no class; for GPUs also the device).
     */
    public double quantity(String group, BillResource r) {
      if (!group.isEmpty()) {
        Map<BillResource, Double> mine = classes.get(group);
        return mine == null ? 0 : mine.getOrDefault(r, 0.0);
      }
      double q = quantities.getOrDefault(r, 0.0);
      for (Map<BillResource, Double> c : classes.values()) {
        q -= c.getOrDefault(r, 0.0);
      }
      return q;
    }
  }

  /** A workload's cost in the month (before discount and tax). */
  public record WorkloadCost(String workload, BigDecimal amount) {}

  /** One week of the month (days 1–7, 8–14, …): usage per resource. */
  public record WeeklyUsage(LocalDate from, LocalDate to, Map<BillResource, Double> quantities) {}

  /** The daily usage summed by week of the month. */
  public List<WeeklyUsage> weekly() {
    List<WeeklyUsage> weeks = new ArrayList<>();
    for (int first = 1; first <= month.lengthOfMonth(); first += 7) {
      LocalDate from = month.atDay(first);
      LocalDate to = month.atDay(Math.min(first + 6, month.lengthOfMonth()));
      if (from.isAfter(periodEnd)) {
        break;
      }
      Map<BillResource, Double> sums = new LinkedHashMap<>();
      for (DailyUsage d : daily) {
        if (!d.day().isBefore(from) && !d.day().isAfter(to)) {
          d.quantities().forEach((r, q) -> sums.merge(r, q, Double::sum));
        }
      }
      weeks.add(new WeeklyUsage(from, to.isAfter(periodEnd) ? periodEnd : to, sums));
    }
    return weeks;
  }

  /** The amount per resource (lines of one resource summed), for the cost-share chart. */
  public Map<BillResource, BigDecimal> amountByResource() {
    Map<BillResource, BigDecimal> out = new LinkedHashMap<>();
    for (BillLine l : lines) {
      out.merge(l.resource(), l.amount(), BigDecimal::add);
    }
    return out;
  }
}
