package dev.chargeback.exporter.web;

import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillLine;
import dev.chargeback.meter.bill.BillResource;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.Budgets;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.store.Coverage;
import dev.chargeback.meter.store.RollupStore;
import java.math.BigDecimal;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Builds a namespace's page from its bill: the same {@link Bill} the PDF and JSON render. */
public final class NamespaceView {
  /** A day observed less than this share is listed as a gap. */
  static final double FULL = 0.999;

  private final RollupStore store;
  private final Biller biller;
  private final Budgets budgets;

  public NamespaceView(RollupStore store, Biller biller, Budgets budgets) {
    this.store = store;
    this.biller = biller;
    this.budgets = budgets;
  }

  public NamespacePage page(Viewer viewer, String namespace, YearMonth month, Money money) {
    Bill bill = biller.bill(namespace, month);
    List<NamespacePage.Charge> charges = new ArrayList<>();
    for (BillLine l : bill.lines()) {
      charges.add(
          new NamespacePage.Charge(
              l.title() + (l.note().isEmpty() ? "" : " (" + l.note() + ")"),
              money.number(l.quantity()),
              l.unit(),
              money.amount(l.unitPrice()),
              money.amount(l.amount()),
              l.amount().toPlainString(),
              false));
    }
    charges.add(total("Subtotal", bill.subtotal(), money));
    if (bill.discount().signum() != 0) {
      charges.add(total("Discount", bill.discount().negate(), money));
    }
    charges.add(total("Tax", bill.tax(), money));
    for (Bill.Share s : bill.shares()) {
      String label = bill.shareLabel(s);
      charges.add(
          total(Character.toUpperCase(label.charAt(0)) + label.substring(1), s.amount(), money));
    }
    for (Bill.Correction c : bill.corrections()) {
      charges.add(total("Correction for " + c.month() + ": " + c.item(), c.amount(), money));
    }
    BigDecimal budget = budgets.of(List.of(namespace), month).get(namespace);
    Map<String, String> downloads = new LinkedHashMap<>();
    String q = "ns=" + Pages.url(namespace) + "&month=" + month;
    downloads.put("PDF", "/bill?" + q);
    downloads.put("JSON", "/bill?" + q + "&format=json");
    downloads.put("CSV", "/bill?" + q + "&format=csv");
    downloads.put("FOCUS (CSV)", "/api/v1/focus?" + q);
    List<String> days =
        bill.daily().stream().map(d -> String.valueOf(d.day().getDayOfMonth())).toList();
    List<Svg.Series> costSeries = costSeries(bill, money);
    return new NamespacePage(
        viewer,
        namespace,
        month,
        Pages.months(biller.currentMonth()),
        bill.labels(),
        bill.billNumber(),
        bill.periodStart() + " – " + bill.periodEnd(),
        bill.preliminary() ? "preliminary" : "final",
        bill.closing() == null
            ? ""
            : "closed " + bill.closing().closedAt() + ", SHA-256 " + bill.closing().sha256(),
        bill.currency().getCurrencyCode(),
        List.copyOf(charges),
        money.amount(bill.total()),
        bill.total().toPlainString(),
        bill.forecast() == null ? "" : money.amount(bill.forecast().total()),
        bill.previousTotal() == null ? "" : money.amount(bill.previousTotal()),
        budget == null ? "" : money.amount(budget),
        money.percent(bill.coverage()),
        bill.notes(),
        Svg.stackedBars(
            "Daily cost by resource, " + month, days, costSeries, money::amount, money::compact),
        costSeries,
        usageCharts(bill, days, money),
        bill.topWorkloads().stream()
            .map(
                w ->
                    new NamespacePage.Workload(
                        w.workload(), money.amount(w.amount()), w.amount().toPlainString()))
            .toList(),
        bill.versions().stream().map(v -> version(v, namespace, money)).toList(),
        gaps(bill, money),
        downloads);
  }

  private static NamespacePage.Charge total(String item, BigDecimal amount, Money money) {
    return new NamespacePage.Charge(
        item, "", "", "", money.amount(amount), amount.toPlainString(), true);
  }

  /** Each line's cost per day: its quantity that day times that day's unit price. */
  private List<Svg.Series> costSeries(Bill bill, Money money) {
    Map<BillResource, double[]> perResource = new EnumMap<>(BillResource.class);
    List<Bill.DailyUsage> daily = bill.daily();
    for (int d = 0; d < daily.size(); d++) {
      PriceVersion v = biller.priceBook().at(daily.get(d).day());
      if (v == null) {
        continue;
      }
      for (Map.Entry<BillResource, Double> e : daily.get(d).quantities().entrySet()) {
        BillResource r = e.getKey();
        double price = r.price(r.idle() ? v.prices() : v.pricesFor(bill.namespace())).doubleValue();
        if (e.getValue() * price > 0) {
          perResource.computeIfAbsent(r, k -> new double[daily.size()])[d] = e.getValue() * price;
        }
      }
    }
    List<Svg.Series> out = new ArrayList<>();
    int i = 0;
    for (Map.Entry<BillResource, double[]> e : perResource.entrySet()) {
      out.add(
          new Svg.Series(
              e.getKey().title, Svg.PALETTE.get(i++ % Svg.PALETTE.size()), e.getValue()));
    }
    return out;
  }

  /** A chart of each resource's daily quantity, for those used at all. */
  private static List<NamespacePage.Chart> usageCharts(Bill bill, List<String> days, Money money) {
    List<NamespacePage.Chart> out = new ArrayList<>();
    int i = 0;
    for (BillResource r : BillResource.values()) {
      double[] values =
          bill.daily().stream().mapToDouble(d -> d.quantities().getOrDefault(r, 0.0)).toArray();
      if (Arrays.stream(values).allMatch(v -> v <= 0)) {
        i++;
        continue;
      }
      String title = r.title + " (" + r.unit() + " per day)";
      out.add(
          new NamespacePage.Chart(
              title,
              Svg.stackedBars(
                  title,
                  days,
                  List.of(
                      new Svg.Series(r.title, Svg.PALETTE.get(i++ % Svg.PALETTE.size()), values)),
                  v -> money.compact(v) + " " + r.unit(),
                  money::compact)));
    }
    return out;
  }

  private static NamespacePage.Version version(PriceVersion v, String namespace, Money money) {
    List<String> prices = new ArrayList<>();
    for (BillResource r : BillResource.values()) {
      if (!r.idle()) {
        prices.add(
            r.title
                + ": "
                + money.amount(r.price(v.pricesFor(namespace)))
                + " per "
                + singular(r.unit()));
      }
    }
    BigDecimal discount = v.discountFor(namespace);
    if (discount.signum() != 0) {
      prices.add("discount " + money.percent(discount.doubleValue()));
    }
    prices.add("tax " + money.percent(v.taxRate().doubleValue()));
    prices.add("basis " + v.basis().name().toLowerCase(Locale.ROOT));
    return new NamespacePage.Version(v.effectiveFrom().toString(), List.copyOf(prices));
  }

  private static String singular(String unit) {
    return unit.endsWith("s") ? unit.substring(0, unit.length() - 1) : unit;
  }

  /** The days of the bill's period that the meter observed less than fully, with the share. */
  private List<String> gaps(Bill bill, Money money) {
    double[] observed =
        Coverage.daily(store, bill.periodStart(), bill.periodEnd(), biller.now().getEpochSecond());
    List<String> out = new ArrayList<>();
    for (int d = 0; d < observed.length; d++) {
      if (observed[d] < FULL) {
        out.add(bill.periodStart().plusDays(d) + ": " + money.percent(observed[d]) + " observed");
      }
    }
    return out;
  }
}
