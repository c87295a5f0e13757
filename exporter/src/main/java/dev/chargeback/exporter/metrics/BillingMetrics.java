package dev.chargeback.exporter.metrics;

import dev.chargeback.exporter.metrics.Exposition.Family;
import dev.chargeback.exporter.metrics.Exposition.LabelSet;
import dev.chargeback.exporter.metrics.Exposition.Point;
import dev.chargeback.exporter.metrics.Exposition.Series;
import dev.chargeback.meter.bill.Budgets;
import dev.chargeback.meter.bill.MonthEnd;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.price.SharedCost;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.UsageCounters;
import dev.chargeback.meter.store.Coverage;
import dev.chargeback.meter.store.Rollup;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The billing metrics, read from the store's all-time totals at every scrape: cost and usage
 * counters that never go down (also across restarts and retention), month-to-date cost, coverage
 * and prices; one series per namespace, no timestamps, written by {@link Exposition}. The meter's
 * health is {@link HealthCollector}'s.
 */
public final class BillingMetrics {
  /** Cost is written in whole millionths of the currency, as the store keeps it. */
  private static final int CURRENCY = Resource.COST_CPU.decimals();

  private final RollupStore store;
  private final PriceBook book;
  private final InstantSource clock;
  private final Budgets budgets;

  /**
   * @param book prices for {@code chargeback_price} and the currency label
   */
  public BillingMetrics(RollupStore store, PriceBook book, InstantSource clock) {
    this.store = store;
    this.book = book;
    this.clock = clock;
    this.budgets = new Budgets(store, book);
  }

  /** The families, read from the store now. */
  public List<Family> collect() {
    String currency = book.currency().getCurrencyCode();
    LabelCache labels = labels(currency);
    List<Rollup> costs = new ArrayList<>();
    Map<Resource, Series> usage = new EnumMap<>(Resource.class);
    String owner = null;
    LabelSet namespace = null;
    for (Rollup r : store.totalsInOrder(Scope.NAMESPACE)) {
      if (r.key().resource().isCost()) {
        costs.add(r);
      } else if (UsageCounters.of(r.key().resource()) != null) {
        if (!r.key().owner().equals(owner)) {
          owner = r.key().owner();
          namespace = labels.of(owner).namespace();
        }
        usage.computeIfAbsent(r.key().resource(), k -> new Series(1024)).add(namespace, r.sum());
      }
    }
    List<Family> out = new ArrayList<>();
    // The price version in force today: its shared namespaces and its prices.
    PriceVersion today = book.at(LocalDate.ofInstant(clock.instant(), store.calendar().zone()));
    costs(out, costs, labels, currency, today);
    price(out, currency, today);
    UsageCounters.all()
        .forEach(
            (resource, counter) ->
                out.add(
                    new Family(
                        counter.name(),
                        counter.help(),
                        true,
                        resource.decimals(),
                        usage.getOrDefault(resource, new Series(0)))));
    labels.keepOnly(costs.size() + usage.values().stream().mapToInt(Series::size).sum());
    return out;
  }

  /** The cost families, from {@code costs} (the cost totals in the store's order). */
  private void costs(
      List<Family> out,
      List<Rollup> costs,
      LabelCache labels,
      String currency,
      PriceVersion today) {
    long[] range = store.calendar().month(store.calendar().monthOf(clock.instant()));
    double covered = Coverage.ratio(store, range[0], range[1], clock.millis() / 1000);
    Baseline base = baseline(costs, range);
    // Month-to-date and forecast by namespace, for spreading shared namespaces' cost (if any).
    PriceVersion sharing = today != null && !today.shared().isEmpty() ? today : null;
    Series accrued = new Series(costs.size());
    Series month = new Series(costs.size());
    Series forecast = new Series(costs.size());
    Series coverage = new Series(costs.size() / 4);
    Map<String, Double> monthToDate = new HashMap<>();
    Map<String, Double> monthEnd = new HashMap<>();
    List<String> namespaces = new ArrayList<>();
    String owner = null;
    NamespaceLabels ns = null;
    double ownerMonth = 0;
    double ownerEnd = 0;
    for (int i = 0; i < costs.size(); i++) {
      Rollup r = costs.get(i);
      if (!r.key().owner().equals(owner)) {
        owner = r.key().owner();
        ns = labels.of(owner);
        namespaces.add(owner);
        coverage.add(ns.namespace(), covered);
        ownerMonth = 0;
        ownerEnd = 0;
      }
      LabelSet set = ns.cost(r.key().resource());
      double value = Math.max(0, r.sum() - base.before()[i]);
      double end = base.rates()[i].forecast(value);
      accrued.add(set, r.sum());
      month.add(set, value);
      forecast.add(set, end);
      ownerMonth += value;
      ownerEnd += end;
      if (sharing != null) {
        monthToDate.put(owner, ownerMonth);
        monthEnd.put(owner, ownerEnd);
      }
    }
    if (sharing != null) {
      spread(sharing, month, monthToDate, currency);
      spread(sharing, forecast, monthEnd, currency);
    }
    out.add(
        new Family(
            "chargeback_cost",
            "Cost accrued since metering began, in "
                + currency
                + ", after discounts and before tax; use increase() over any range.",
            true,
            CURRENCY,
            accrued));
    out.add(
        new Family(
            "chargeback_cost_per_namespace",
            "Month-to-date cost of the namespace in "
                + currency
                + " (billing time zone "
                + store.calendar().zone()
                + "), after discounts and before tax; resource shared:NS is the namespace's"
                + " share of shared namespace NS, spread (negative) what NS spread.",
            false,
            CURRENCY,
            month));
    out.add(
        new Family(
            "chargeback_cost_forecast",
            "Month-end forecast of the namespace's cost in "
                + currency
                + ", before tax: month to date plus the average daily cost of the last"
                + " complete days (up to 7) times the days left, as the bill's forecast.",
            false,
            CURRENCY,
            forecast));
    out.add(budgets(namespaces, currency));
    out.add(
        new Family(
            "chargeback_coverage_ratio",
            "Share of the month to date in which the kubelets were scraped without a gap"
                + " longer than maxGap, 0 to 1.",
            false,
            -1,
            coverage));
  }

  /** A namespace's label sets, alone and with each cost resource. */
  private record NamespaceLabels(LabelSet namespace, LabelSet[] costs, String currency) {
    NamespaceLabels(String namespace, String currency) {
      this(LabelSet.of("namespace", namespace), new LabelSet[Resource.values().length], currency);
    }

    LabelSet cost(Resource resource) {
      LabelSet set = costs[resource.ordinal()];
      if (set == null) {
        set =
            LabelSet.of(
                "currency",
                currency,
                "namespace",
                namespace.get("namespace"),
                "resource",
                resource.label);
        costs[resource.ordinal()] = set;
      }
      return set;
    }
  }

  /**
   * Label sets by namespace, kept between scrapes: encoding them is most of what a series costs.
   * Replaced when the currency changes, and emptied when it outgrows what a scrape uses (namespaces
   * come and go).
   */
  private record LabelCache(String currency, Map<String, NamespaceLabels> byNamespace) {
    NamespaceLabels of(String namespace) {
      return byNamespace.computeIfAbsent(namespace, ns -> new NamespaceLabels(ns, currency));
    }

    void keepOnly(int series) {
      if (byNamespace.size() > series + 1_000) {
        byNamespace.clear();
      }
    }
  }

  private volatile LabelCache labelCache = new LabelCache("", new ConcurrentHashMap<>());

  private LabelCache labels(String currency) {
    LabelCache cache = labelCache;
    if (!cache.currency().equals(currency)) {
      cache = new LabelCache(currency, new ConcurrentHashMap<>());
      labelCache = cache;
    }
    return cache;
  }

  /**
   * Shared namespaces' month-to-date cost (or forecast) spread to the tenants by the rules of the
   * price version in force today: {@code resource="shared:NS"} on each tenant, {@code
   * resource="spread"} (negative) on the shared namespace, so that a sum by namespace shows who
   * finally pays and the sum over all namespaces stays the cluster's cost. Idle capacity has no
   * accrued cost and is spread on bills only.
   */
  private void spread(
      PriceVersion v, Series points, Map<String, Double> perNamespace, String currency) {
    int minor = Math.max(0, book.currency().getDefaultFractionDigits());
    Map<String, BigDecimal> tenants = new TreeMap<>();
    perNamespace.forEach(
        (ns, own) -> {
          if (!v.shared().containsKey(ns) && own > 0) {
            tenants.put(ns, BigDecimal.valueOf(own));
          }
        });
    for (SharedCost pool : v.shared().values()) {
      Double cost = perNamespace.get(pool.namespace());
      if (cost == null || cost <= 0) {
        continue;
      }
      // Metrics are not rounded to the minor unit (the bills are): the parts add up to the
      // shared namespace's cost to a millionth of one.
      List<SharedCost.Part> parts = pool.split(BigDecimal.valueOf(cost), tenants, minor + 6);
      if (parts.isEmpty()) {
        continue;
      }
      BigDecimal total = BigDecimal.ZERO;
      for (SharedCost.Part part : parts) {
        points.add(
            costLabels(currency, part.tenant(), "shared:" + pool.namespace()),
            part.amount().doubleValue());
        total = total.add(part.amount());
      }
      points.add(costLabels(currency, pool.namespace(), "spread"), -total.doubleValue());
    }
  }

  private static LabelSet costLabels(String currency, String namespace, String resource) {
    return LabelSet.of("currency", currency, "namespace", namespace, "resource", resource);
  }

  /** {@code chargeback_budget}: the budget of each metered namespace that has one. */
  private Family budgets(List<String> namespaces, String currency) {
    YearMonth month = store.calendar().monthOf(clock.instant());
    List<Point> points = new ArrayList<>();
    budgets
        .of(namespaces, month)
        .forEach(
            (ns, amount) ->
                points.add(
                    new Point(
                        LabelSet.of("currency", currency, "namespace", ns), amount.doubleValue())));
    return new Family(
        "chargeback_budget",
        "The namespace's monthly budget in "
            + currency
            + " (annotation "
            + Budgets.ANNOTATION
            + ", else the price book), compared with the cost before tax.",
        false,
        CURRENCY,
        points);
  }

  /**
   * Per cost key, in the store's order: what accrued before this month (constant within it) and
   * this month's run-rate for the forecast, both from one read of the month's daily rollups.
   */
  private record Baseline(
      long monthStart, long computedMillis, RollupKey[] keys, double[] before, MonthEnd[] rates) {
    /**
     * Whether this is the baseline of exactly {@code costs}: totals are never deleted, so a series
     * new since it was read shows as a difference in number or at some place.
     */
    boolean covers(List<Rollup> costs) {
      if (keys.length != costs.size()) {
        return false;
      }
      for (int i = 0; i < keys.length; i++) {
        if (!keys[i].equals(costs.get(i).key())) {
          return false;
        }
      }
      return true;
    }
  }

  private static final long BASELINE_MAX_AGE_MILLIS = 600_000;

  private volatile Baseline baseline;

  /**
   * Month-to-date is the all-time total less what accrued before the month; that difference and the
   * run-rates are read from the daily rollups once per month (and when new series appear, or every
   * ten minutes for imported history and the days that pass), so a scrape needs no per-namespace
   * seeks, and finds each key's baseline at the key's place.
   */
  private Baseline baseline(List<Rollup> costs, long[] month) {
    Baseline b = baseline;
    long now = clock.millis();
    if (b == null
        || b.monthStart() != month[0]
        || now - b.computedMillis() > BASELINE_MAX_AGE_MILLIS
        || !b.covers(costs)) {
      BillingCalendar calendar = store.calendar();
      Instant instant = clock.instant();
      YearMonth current = calendar.monthOf(instant);
      int today = LocalDate.ofInstant(instant, calendar.zone()).getDayOfMonth();
      List<RollupKey> keys = costs.stream().map(Rollup::key).toList();
      Map<RollupKey, List<Rollup>> daily = store.rollups(Granularity.DAY, keys, month[0], month[1]);
      double[] before = new double[keys.size()];
      MonthEnd[] rates = new MonthEnd[keys.size()];
      for (int i = 0; i < keys.size(); i++) {
        double monthToDate = 0;
        double[] days = new double[today];
        for (Rollup day : daily.get(keys.get(i))) {
          monthToDate += day.sum();
          int index =
              LocalDate.ofInstant(Instant.ofEpochSecond(day.bucketStart()), calendar.zone())
                      .getDayOfMonth()
                  - 1;
          if (index >= 0 && index < days.length) {
            days[index] += day.sum();
          }
        }
        before[i] = costs.get(i).sum() - monthToDate;
        rates[i] = MonthEnd.of(days, calendar, current, instant);
      }
      b = new Baseline(month[0], now, keys.toArray(RollupKey[]::new), before, rates);
      baseline = b;
    }
    return b;
  }

  private void price(List<Family> out, String currency, PriceVersion v) {
    List<Point> points = new ArrayList<>();
    if (v != null) {
      Object[][] rows = {
        {"cpu", "core_hour", v.prices().cpuCoreHour()},
        {"memory", "gib_hour", v.prices().memoryGibHour()},
        {"network_receive", "gib", v.prices().networkReceiveGib()},
        {"network_transmit", "gib", v.prices().networkTransmitGib()},
        {"storage", "gib_hour", v.prices().storageGibHour()},
        {"gpu", "gpu_hour", v.prices().gpuHour()},
      };
      for (Object[] row : rows) {
        if (row[2] != null) { // GPUs may be unpriced
          points.add(
              new Point(
                  LabelSet.of(
                      "currency", currency, "resource", (String) row[0], "unit", (String) row[1]),
                  ((BigDecimal) row[2]).doubleValue()));
        }
      }
    }
    out.add(
        new Family(
            "chargeback_price",
            "Unit prices of the price book version in force today, per unit, in the currency.",
            false,
            points));
  }
}
