package dev.chargeback.exporter.metrics;

import dev.chargeback.meter.bill.Budgets;
import dev.chargeback.meter.bill.MonthEnd;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.price.SharedCost;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.store.Coverage;
import dev.chargeback.meter.store.Rollup;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
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
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The billing metrics, read from the store's all-time totals at every scrape: cost and usage
 * counters that never go down (also across restarts and retention), month-to-date cost, coverage
 * and prices; one series per namespace, no timestamps. The meter's health is {@link
 * HealthCollector}'s.
 */
public final class BillingCollector implements MultiCollector {
  /** The usage counters: metric name (without {@code _total}) and HELP per resource. */
  private static final Map<Resource, String[]> USAGE = new EnumMap<>(Resource.class);

  static {
    USAGE.put(
        Resource.CPU,
        new String[] {
          "chargeback_usage_cpu_seconds",
          "CPU used by the namespace's application containers, in core-seconds, since metering began."
        });
    USAGE.put(
        Resource.MEMORY,
        new String[] {
          "chargeback_usage_memory_byte_seconds",
          "Working-set memory held by the namespace's containers, integrated over time, in byte-seconds."
        });
    USAGE.put(
        Resource.NETWORK_RECEIVE,
        new String[] {
          "chargeback_usage_network_receive_bytes",
          "Bytes received by the namespace's pods (host-network pods excluded)."
        });
    USAGE.put(
        Resource.NETWORK_TRANSMIT,
        new String[] {
          "chargeback_usage_network_transmit_bytes",
          "Bytes transmitted by the namespace's pods (host-network pods excluded)."
        });
    USAGE.put(
        Resource.STORAGE,
        new String[] {
          "chargeback_usage_storage_byte_seconds",
          "Storage requested by the namespace's persistent volume claims, in byte-seconds."
        });
    USAGE.put(
        Resource.REQUEST_CPU,
        new String[] {
          "chargeback_request_cpu_seconds",
          "CPU requested by the namespace's containers, in core-seconds."
        });
    USAGE.put(
        Resource.REQUEST_MEMORY,
        new String[] {
          "chargeback_request_memory_byte_seconds",
          "Memory requested by the namespace's containers, in byte-seconds."
        });
    USAGE.put(
        Resource.REQUEST_GPU,
        new String[] {
          "chargeback_request_gpu_seconds",
          "NVIDIA GPU devices requested by the namespace's containers, in device-seconds (a whole"
              + " GPU, a MIG slice or a time-sliced replica each count one)."
        });
    USAGE.put(
        Resource.GPU,
        new String[] {
          "chargeback_usage_gpu_seconds",
          "GPU time of the namespace's pods weighted by utilisation (dcgm-exporter), in"
              + " GPU-seconds."
        });
    USAGE.put(
        Resource.GPU_MEMORY,
        new String[] {
          "chargeback_usage_gpu_memory_byte_seconds",
          "GPU framebuffer memory held by the namespace's pods (dcgm-exporter), integrated over"
              + " time, in byte-seconds."
        });
  }

  private final RollupStore store;
  private final PriceBook book;
  private final InstantSource clock;
  private final Budgets budgets;

  /**
   * @param book prices for {@code chargeback_price} and the currency label
   */
  public BillingCollector(RollupStore store, PriceBook book, InstantSource clock) {
    this.store = store;
    this.book = book;
    this.clock = clock;
    this.budgets = new Budgets(store, book);
  }

  @Override
  public MetricSnapshots collect() {
    MetricSnapshots.Builder out = MetricSnapshots.builder();
    Map<RollupKey, Rollup> totals = store.totals(Scope.NAMESPACE);
    if (labelCache.size() > 4 * totals.size() + 1_000) {
      labelCache.clear();
    }
    costs(out, totals);
    price(out);
    for (Map.Entry<Resource, String[]> usage : USAGE.entrySet()) {
      CounterSnapshot.Builder counter =
          CounterSnapshot.builder().name(usage.getValue()[0]).help(usage.getValue()[1]);
      for (Rollup r : totals.values()) {
        if (r.key().resource() == usage.getKey()) {
          counter.dataPoint(
              CounterSnapshot.CounterDataPointSnapshot.builder()
                  .labels(namespaceLabels(r.key().owner()))
                  .value(r.sum())
                  .build());
        }
      }
      out.metricSnapshot(counter.build());
    }
    return out.build();
  }

  private void costs(MetricSnapshots.Builder out, Map<RollupKey, Rollup> totals) {
    String currency = book.currency().getCurrencyCode();
    CounterSnapshot.Builder accrued =
        CounterSnapshot.builder()
            .name("chargeback_cost")
            .help(
                "Cost accrued since metering began, in "
                    + currency
                    + ", after discounts and before tax; use increase() over any range.");
    GaugeSnapshot.Builder month =
        GaugeSnapshot.builder()
            .name("chargeback_cost_per_namespace")
            .help(
                "Month-to-date cost of the namespace in "
                    + currency
                    + " (billing time zone "
                    + store.calendar().zone()
                    + "), after discounts and before tax; resource shared:NS is the namespace's"
                    + " share of shared namespace NS, spread (negative) what NS spread.");
    GaugeSnapshot.Builder coverage =
        GaugeSnapshot.builder()
            .name("chargeback_coverage_ratio")
            .help(
                "Share of the month to date in which the kubelets were scraped without a gap"
                    + " longer than maxGap, 0 to 1.");
    long[] range = store.calendar().month(store.calendar().monthOf(clock.instant()));
    double covered = Coverage.ratio(store, range[0], range[1], clock.millis() / 1000);
    Set<String> namespaces = new TreeSet<>();
    List<RollupKey> costKeys = new ArrayList<>();
    for (Rollup r : totals.values()) {
      if (r.key().resource().isCost()) {
        costKeys.add(r.key());
      }
    }
    Baseline base = baseline(totals, costKeys, range);
    Map<RollupKey, Double> beforeMonth = base.before();
    Map<String, Double> monthToDate = new HashMap<>();
    for (RollupKey key : costKeys) {
      accrued.dataPoint(
          CounterSnapshot.CounterDataPointSnapshot.builder()
              .labels(costLabels(currency, key.owner(), key.resource().label))
              .value(totals.get(key).sum())
              .build());
      double value = Math.max(0, totals.get(key).sum() - beforeMonth.get(key));
      month.dataPoint(cost(currency, key.owner(), key.resource().label, value));
      monthToDate.merge(key.owner(), value, Double::sum);
      namespaces.add(key.owner());
    }
    spread(month, monthToDate, currency);
    forecast(out, totals, costKeys, base, currency);
    budgets(out, namespaces, currency);
    for (String ns : namespaces) {
      coverage.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder()
              .labels(namespaceLabels(ns))
              .value(covered)
              .build());
    }
    out.metricSnapshot(accrued.build());
    out.metricSnapshot(month.build());
    out.metricSnapshot(coverage.build());
  }

  /**
   * Label sets by namespace and resource, kept between scrapes: building one validates every name
   * and value, a fifth of a scrape's time at 4,000 namespaces (JFR). Emptied when it outgrows what
   * a scrape uses (namespaces come and go).
   */
  private final Map<String, Labels> labelCache = new ConcurrentHashMap<>();

  private Labels costLabels(String currency, String namespace, String resource) {
    return labelCache.computeIfAbsent(
        namespace + '\n' + resource,
        k -> Labels.of("currency", currency, "namespace", namespace, "resource", resource));
  }

  private Labels namespaceLabels(String namespace) {
    return labelCache.computeIfAbsent(namespace, k -> Labels.of("namespace", namespace));
  }

  /** A cost gauge's point: its currency, namespace and resource. */
  private GaugeSnapshot.GaugeDataPointSnapshot cost(
      String currency, String namespace, String resource, double value) {
    return GaugeSnapshot.GaugeDataPointSnapshot.builder()
        .labels(costLabels(currency, namespace, resource))
        .value(value)
        .build();
  }

  /**
   * Shared namespaces' month-to-date cost spread to the tenants by the rules of the price version
   * in force today: {@code resource="shared:NS"} on each tenant, {@code resource="spread"}
   * (negative) on the shared namespace, so that a sum by namespace shows who finally pays and the
   * sum over all namespaces stays the cluster's cost. Idle capacity has no accrued cost and is
   * spread on bills only.
   */
  private void spread(
      GaugeSnapshot.Builder month, Map<String, Double> monthToDate, String currency) {
    PriceVersion v = book.at(LocalDate.ofInstant(clock.instant(), store.calendar().zone()));
    if (v == null || v.shared().isEmpty()) {
      return;
    }
    int minor = Math.max(0, book.currency().getDefaultFractionDigits());
    Map<String, BigDecimal> tenants = new TreeMap<>();
    monthToDate.forEach(
        (ns, own) -> {
          if (!v.shared().containsKey(ns) && own > 0) {
            tenants.put(ns, BigDecimal.valueOf(own));
          }
        });
    for (SharedCost pool : v.shared().values()) {
      Double cost = monthToDate.get(pool.namespace());
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
        month.dataPoint(
            cost(
                currency,
                part.tenant(),
                "shared:" + pool.namespace(),
                part.amount().doubleValue()));
        total = total.add(part.amount());
      }
      month.dataPoint(cost(currency, pool.namespace(), "spread", -total.doubleValue()));
    }
  }

  /**
   * {@code chargeback_cost_forecast}: each cost's month-end forecast as the bill makes it ({@link
   * MonthEnd}: month to date plus the recent daily run-rate times the days left), before tax as the
   * cost metrics are; shared namespaces' forecasts spread like their month to date.
   */
  private void forecast(
      MetricSnapshots.Builder out,
      Map<RollupKey, Rollup> totals,
      List<RollupKey> keys,
      Baseline base,
      String currency) {
    GaugeSnapshot.Builder forecast =
        GaugeSnapshot.builder()
            .name("chargeback_cost_forecast")
            .help(
                "Month-end forecast of the namespace's cost in "
                    + currency
                    + ", before tax: month to date plus the average daily cost of the last"
                    + " complete days (up to 7) times the days left, as the bill's forecast.");
    Map<String, Double> perNamespace = new HashMap<>();
    for (RollupKey key : keys) {
      double monthToDate = Math.max(0, totals.get(key).sum() - base.before().get(key));
      double value = base.rates().get(key).forecast(monthToDate);
      forecast.dataPoint(cost(currency, key.owner(), key.resource().label, value));
      perNamespace.merge(key.owner(), value, Double::sum);
    }
    spread(forecast, perNamespace, currency);
    out.metricSnapshot(forecast.build());
  }

  /** {@code chargeback_budget}: the budget of each metered namespace that has one. */
  private void budgets(MetricSnapshots.Builder out, Set<String> namespaces, String currency) {
    GaugeSnapshot.Builder budget =
        GaugeSnapshot.builder()
            .name("chargeback_budget")
            .help(
                "The namespace's monthly budget in "
                    + currency
                    + " (annotation "
                    + Budgets.ANNOTATION
                    + ", else the price book), compared with the cost before tax.");
    YearMonth month = store.calendar().monthOf(clock.instant());
    budgets
        .of(namespaces, month)
        .forEach(
            (ns, amount) ->
                budget.dataPoint(
                    GaugeSnapshot.GaugeDataPointSnapshot.builder()
                        .labels(Labels.of("currency", currency, "namespace", ns))
                        .value(amount.doubleValue())
                        .build()));
    out.metricSnapshot(budget.build());
  }

  /**
   * Per cost key: what accrued before this month (constant within it) and this month's run-rate for
   * the forecast, both from one read of the month's daily rollups.
   */
  private record Baseline(
      long monthStart,
      long computedMillis,
      Map<RollupKey, Double> before,
      Map<RollupKey, MonthEnd> rates) {}

  private static final long BASELINE_MAX_AGE_MILLIS = 600_000;

  private volatile Baseline baseline;

  /**
   * Month-to-date is the all-time total less what accrued before the month; that difference and the
   * run-rates are read from the daily rollups once per month (and when new series appear, or every
   * ten minutes for imported history and the days that pass), so a scrape needs no per-namespace
   * seeks.
   */
  private Baseline baseline(Map<RollupKey, Rollup> totals, List<RollupKey> keys, long[] month) {
    Baseline b = baseline;
    long now = clock.millis();
    if (b == null
        || b.monthStart() != month[0]
        || now - b.computedMillis() > BASELINE_MAX_AGE_MILLIS
        || !b.before().keySet().containsAll(keys)) {
      BillingCalendar calendar = store.calendar();
      Instant instant = clock.instant();
      YearMonth current = calendar.monthOf(instant);
      int today = LocalDate.ofInstant(instant, calendar.zone()).getDayOfMonth();
      Map<RollupKey, List<Rollup>> daily = store.rollups(Granularity.DAY, keys, month[0], month[1]);
      Map<RollupKey, Double> before = new HashMap<>(keys.size() * 2);
      Map<RollupKey, MonthEnd> rates = new HashMap<>(keys.size() * 2);
      for (RollupKey key : keys) {
        double monthToDate = 0;
        double[] days = new double[today];
        for (Rollup day : daily.get(key)) {
          monthToDate += day.sum();
          int index =
              LocalDate.ofInstant(Instant.ofEpochSecond(day.bucketStart()), calendar.zone())
                      .getDayOfMonth()
                  - 1;
          if (index >= 0 && index < days.length) {
            days[index] += day.sum();
          }
        }
        before.put(key, totals.get(key).sum() - monthToDate);
        rates.put(key, MonthEnd.of(days, calendar, current, instant));
      }
      b = new Baseline(month[0], now, before, rates);
      baseline = b;
    }
    return b;
  }

  private void price(MetricSnapshots.Builder out) {
    GaugeSnapshot.Builder price =
        GaugeSnapshot.builder()
            .name("chargeback_price")
            .help(
                "Unit prices of the price book version in force today, per unit, in the currency.");
    PriceVersion v = book.at(LocalDate.ofInstant(clock.instant(), store.calendar().zone()));
    if (v != null) {
      String currency = book.currency().getCurrencyCode();
      Object[][] rows = {
        {"cpu", "core_hour", v.prices().cpuCoreHour()},
        {"memory", "gib_hour", v.prices().memoryGibHour()},
        {"network_receive", "gib", v.prices().networkReceiveGib()},
        {"network_transmit", "gib", v.prices().networkTransmitGib()},
        {"storage", "gib_hour", v.prices().storageGibHour()},
        {"gpu", "gpu_hour", v.prices().gpuHour()},
      };
      for (Object[] row : rows) {
        if (row[2] == null) {
          continue; // GPUs unpriced
        }
        price.dataPoint(
            GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(
                    Labels.of(
                        "currency", currency, "resource", (String) row[0], "unit", (String) row[1]))
                .value(((BigDecimal) row[2]).doubleValue())
                .build());
      }
    }
    out.metricSnapshot(price.build());
  }
}
