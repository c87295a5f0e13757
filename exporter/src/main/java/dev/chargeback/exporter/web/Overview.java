package dev.chargeback.exporter.web;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillException;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.Budgets;
import dev.chargeback.meter.exposition.LabelSelector;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Builds the overview from the month's bills ({@link Biller#summaries}: the totals {@code /bill}
 * gives, read in one pass) and the previous month's, for the change over the same days.
 */
public final class Overview {
  /** Namespaces drawn one by one in the chart; the rest are one "others" series. */
  static final int CHART_TOP = 6;

  /** The columns the table sorts by. */
  static final List<String> SORTS =
      List.of("namespace", "cost", "share", "change", "forecast", "budget");

  private final Biller biller;
  private final Budgets budgets;

  /** A past month's first days' costs, asked for again. */
  private record Days(YearMonth month, int days, List<String> namespaces) {}

  /**
   * The previous month's daily costs (the change's base) are reused for ten minutes, as the
   * metrics' month baseline is: a month that has ended changes only by an import or a reprice, and
   * they were two fifths of an overview's time (JFR, 1,000 namespaces).
   */
  private final Cache<Days, Map<String, double[]>> previous =
      Caffeine.newBuilder().maximumSize(64).expireAfterWrite(Duration.ofMinutes(10)).build();

  public Overview(Biller biller, Budgets budgets) {
    this.biller = biller;
    this.budgets = budgets;
  }

  /**
   * What a reader asked the overview for.
   *
   * @param sort one of {@link #SORTS}
   * @param selector a label selector ({@code team=payments}), or ""
   */
  public record Query(YearMonth month, String sort, boolean descending, String selector) {}

  /**
   * @param visible the namespaces the reader may see
   */
  public OverviewPage page(Viewer viewer, List<String> visible, Query query, Money money) {
    YearMonth month = query.month();
    String sort = query.sort();
    boolean descending = query.descending();
    String selector = query.selector();
    String selectorError = "";
    LabelSelector filter = null;
    if (!selector.isBlank()) {
      try {
        filter = LabelSelector.parse(selector);
      } catch (IllegalArgumentException e) {
        selectorError = e.getMessage();
      }
    }
    List<Bill> bills = summaries(month, visible);
    if (filter != null) {
      LabelSelector f = filter;
      bills = bills.stream().filter(b -> f.matches(b.labels())).toList();
    }
    int length = bills.isEmpty() ? 0 : bills.getFirst().daily().size();
    // The previous month's same days, for the change.
    Map<String, double[]> before =
        bills.isEmpty()
            ? Map.of()
            : previous.get(
                new Days(
                    month.minusMonths(1), length, bills.stream().map(Bill::namespace).toList()),
                k -> biller.dailyCosts(k.month(), k.namespaces(), k.days()));
    Map<String, BigDecimal> budget =
        budgets.of(bills.stream().map(Bill::namespace).toList(), month);
    BigDecimal total = BigDecimal.ZERO;
    for (Bill b : bills) {
      total = total.add(b.total());
    }
    BigDecimal forecast = BigDecimal.ZERO;
    List<OverviewPage.Row> rows = new ArrayList<>(bills.size());
    TreeSet<String> labelKeys = new TreeSet<>();
    Map<String, double[]> daily = new HashMap<>();
    for (Bill b : bills) {
      labelKeys.addAll(b.labels().keySet());
      double[] days = biller.dailyCosts(b);
      daily.put(b.namespace(), days);
      Double change = change(days, before.get(b.namespace()));
      BigDecimal expected = b.forecast() == null ? b.total() : b.forecast().total();
      forecast = forecast.add(expected);
      BigDecimal limit = budget.get(b.namespace());
      double share = total.signum() == 0 ? 0 : b.total().doubleValue() / total.doubleValue();
      rows.add(
          new OverviewPage.Row(
              b.namespace(),
              b.labels(),
              money.amount(b.total()),
              b.total().toPlainString(),
              share,
              money.percent(share),
              change,
              money.change(change),
              b.forecast() == null ? "" : money.amount(b.forecast().total()),
              b.forecast() == null ? "" : b.forecast().total().toPlainString(),
              limit == null ? "" : money.amount(limit),
              limit != null && expected.compareTo(limit) > 0,
              b.preliminary()));
    }
    rows.sort(order(sort, budget));
    if (descending) {
      rows = rows.reversed();
    }
    List<String> days = new ArrayList<>();
    for (int d = 1; d <= length; d++) {
      days.add(String.valueOf(d));
    }
    List<Svg.Series> series = series(bills, daily, length);
    String chart =
        bills.isEmpty()
            ? ""
            : Svg.stackedBars(
                "Daily cost by namespace, " + month, days, series, money::amount, money::compact);
    String message =
        bills.isEmpty()
            ? visible.isEmpty()
                ? "No namespace you may read was metered."
                : "Nothing was metered in " + month + (filter == null ? "." : " that matches.")
            : "";
    return new OverviewPage(
        viewer,
        month,
        Pages.months(biller.currentMonth()),
        money.currency().getCurrencyCode(),
        List.copyOf(rows),
        money.amount(total),
        total.toPlainString(),
        bills.stream().anyMatch(Bill::preliminary) ? money.amount(forecast) : "",
        bills.isEmpty() ? "" : money.percent(bills.getFirst().coverage()),
        chart,
        series,
        sort,
        descending,
        selector,
        selectorError,
        List.copyOf(labelKeys),
        message);
  }

  /** The month's bills, or none for a month that has not begun. */
  private List<Bill> summaries(YearMonth month, List<String> namespaces) {
    try {
      return biller.summaries(month, namespaces);
    } catch (BillException e) {
      if (e.kind() == BillException.Kind.BAD_REQUEST) {
        return List.of();
      }
      throw e;
    }
  }

  /**
   * This month's cost over its days so far against the previous month's over the same days (its
   * first as many days), both at their own prices; null without a previous cost to compare with.
   */
  private static Double change(double[] days, double[] before) {
    if (before == null) {
      return null;
    }
    double now = 0;
    double then = 0;
    for (int d = 0; d < days.length; d++) {
      now += days[d];
      then += d < before.length ? before[d] : 0;
    }
    return then <= 0 ? null : now / then - 1;
  }

  private static Comparator<OverviewPage.Row> order(String sort, Map<String, BigDecimal> budget) {
    Comparator<OverviewPage.Row> byName = Comparator.comparing(OverviewPage.Row::namespace);
    Comparator<OverviewPage.Row> by =
        switch (sort) {
          case "cost", "share" -> Comparator.comparing(r -> new BigDecimal(r.totalAmount()));
          case "change" ->
              Comparator.comparing(
                  OverviewPage.Row::change, Comparator.nullsFirst(Comparator.naturalOrder()));
          case "forecast" ->
              Comparator.comparing(
                  r ->
                      new BigDecimal(
                          r.forecastAmount().isEmpty() ? r.totalAmount() : r.forecastAmount()));
          case "budget" ->
              Comparator.comparing(
                  r -> budget.get(r.namespace()), Comparator.nullsFirst(Comparator.naturalOrder()));
          default -> byName;
        };
    return by.thenComparing(byName);
  }

  /** The chart's series: the costliest namespaces one by one, then the rest together. */
  private static List<Svg.Series> series(List<Bill> bills, Map<String, double[]> daily, int days) {
    List<Bill> byCost =
        bills.stream().sorted(Comparator.comparing(Bill::total).reversed()).toList();
    List<Svg.Series> out = new ArrayList<>();
    double[] others = new double[days];
    for (int i = 0; i < byCost.size(); i++) {
      double[] values = daily.get(byCost.get(i).namespace());
      if (i < CHART_TOP) {
        out.add(
            new Svg.Series(
                byCost.get(i).namespace(),
                Svg.PALETTE.get(i % Svg.PALETTE.size()),
                java.util.Arrays.copyOf(values, days)));
      } else {
        for (int d = 0; d < days && d < values.length; d++) {
          others[d] += values[d];
        }
      }
    }
    if (byCost.size() > CHART_TOP) {
      out.add(new Svg.Series("others (" + (byCost.size() - CHART_TOP) + ")", "#b9c0c8", others));
    }
    return List.copyOf(out);
  }
}
