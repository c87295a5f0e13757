package dev.chargeback.exporter.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chargeback.exporter.metrics.Exposition.Family;
import dev.chargeback.exporter.metrics.Exposition.Point;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class BillingMetricsTest {
  private final RollupStore store =
      new RollupStore(new MemoryKeyValueStore(), new BillingCalendar(ZoneId.of("UTC")));
  private final AtomicLong now =
      new AtomicLong(Instant.parse("2026-11-20T12:00:00Z").toEpochMilli());
  private final BillingMetrics collector =
      new BillingMetrics(store, PriceBookLoader.defaults(), () -> Instant.ofEpochMilli(now.get()));

  private void cost(String ns, String at, double amount) {
    long t = Instant.parse(at).toEpochMilli();
    store.apply(
        new Ingest(
            "t",
            t,
            Long.MIN_VALUE,
            0,
            List.of(new Usage(ns, "", "", Resource.COST_CPU, t, t, amount)),
            Map.of(),
            0));
  }

  private double gauge(String name, String ns) {
    for (Family f : collector.collect()) {
      if (f.name().equals(name)) {
        for (Point p : f.points()) {
          if (ns.equals(p.labels().get("namespace"))) {
            return p.value();
          }
        }
      }
    }
    return Double.NaN;
  }

  @Test
  void monthToDateFollowsNewCostWhileTheBaselineIsCached() {
    cost("a", "2026-10-31T23:00:00Z", 100);
    cost("a", "2026-11-01T01:00:00Z", 7);
    assertThat(gauge("chargeback_cost_per_namespace", "a")).isEqualTo(7);
    assertThat(gauge("chargeback_cost", "a")).isEqualTo(107);
    cost("a", "2026-11-20T11:00:00Z", 5);
    assertThat(gauge("chargeback_cost_per_namespace", "a")).isEqualTo(12);
    // A namespace that appears later gets its own baseline.
    cost("b", "2026-10-15T00:00:00Z", 40);
    cost("b", "2026-11-19T00:00:00Z", 2);
    assertThat(gauge("chargeback_cost_per_namespace", "b")).isEqualTo(2);
    // A new month starts from zero; the counter keeps counting.
    now.set(Instant.parse("2026-12-01T00:30:00Z").toEpochMilli());
    cost("a", "2026-12-01T00:10:00Z", 3);
    assertThat(gauge("chargeback_cost_per_namespace", "a")).isEqualTo(3);
    assertThat(gauge("chargeback_cost", "a")).isEqualTo(115);
  }

  @Test
  void sharedNamespacesSpreadTheirMonthToDateCostAsResourcesOfTheirOwn() {
    String book =
        """
        currency: USD
        versions:
          - effectiveFrom: "2026-01-01"
            prices: {cpuCoreHour: 0.03, memoryGibHour: 0.004, networkReceiveGib: 0, networkTransmitGib: 0.09, storageGibHour: 0.0001}
            shared:
              kube-system: proportional
              monitoring: {weights: {a: 1, b: 2}}
        """;
    BillingMetrics shared =
        new BillingMetrics(
            store, PriceBookLoader.parse(book, "test"), () -> Instant.ofEpochMilli(now.get()));
    cost("a", "2026-11-02T00:00:00Z", 30);
    cost("b", "2026-11-02T00:00:00Z", 10);
    cost("c", "2026-11-02T00:00:00Z", 0.01);
    cost("kube-system", "2026-11-02T00:00:00Z", 10.01);
    cost("monitoring", "2026-11-02T00:00:00Z", 1);
    Map<String, Double> points = new java.util.TreeMap<>();
    for (Family f : shared.collect()) {
      if (f.name().equals("chargeback_cost_per_namespace")) {
        for (Point p : f.points()) {
          points.put(p.labels().get("namespace") + " " + p.labels().get("resource"), p.value());
        }
      }
    }
    // kube-system's 10.01 in proportion to 30 : 10 : 0.01, unrounded (bills round, metrics do
    // not), adding up to it.
    assertThat(points.get("a shared:kube-system")).isCloseTo(10.01 * 30 / 40.01, within(1e-6));
    assertThat(points.get("b shared:kube-system")).isCloseTo(10.01 * 10 / 40.01, within(1e-6));
    assertThat(points.get("c shared:kube-system")).isCloseTo(10.01 * 0.01 / 40.01, within(1e-6));
    assertThat(points.get("kube-system spread")).isEqualTo(-10.01);
    // monitoring by fixed weights 1 : 2; c has none.
    assertThat(points.get("a shared:monitoring")).isCloseTo(1 / 3.0, within(1e-6));
    assertThat(points.get("b shared:monitoring")).isCloseTo(2 / 3.0, within(1e-6));
    assertThat(points).doesNotContainKey("c shared:monitoring");
    assertThat(points.get("monitoring spread")).isEqualTo(-1.0);
    // The sum over all series is still the cluster's cost.
    assertThat(points.values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(30 + 10 + 0.01 + 10.01 + 1, within(1e-9));
  }

  @Test
  void budgetsComeFromTheAnnotationTheBookOrASelectorAndTheForecastIsTheBills() {
    String book =
        """
        currency: KRW
        versions:
          - effectiveFrom: "2026-01-01"
            prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
        budgets:
          - {namespace: a, amount: 1000}
          - {selector: "team=payments", amount: 250}
          - {selector: "team", amount: 99}
        """;
    BillingMetrics withBudgets =
        new BillingMetrics(
            store, PriceBookLoader.parse(book, "test"), () -> Instant.ofEpochMilli(now.get()));
    // 10 a day on November 1 to 19, 5 so far on the 20th (noon): 195 to date.
    for (String ns : List.of("a", "b", "c", "d", "e")) {
      for (int day = 1; day <= 19; day++) {
        cost(ns, "2026-11-%02dT06:00:00Z".formatted(day), 10);
      }
      cost(ns, "2026-11-20T06:00:00Z", 5);
    }
    YearMonth november = YearMonth.of(2026, 11);
    store.labels().record("b", november, Map.of("team", "payments"));
    store.labels().record("c", november, Map.of("team", "search"));
    store.annotations().record("a", Map.of("chargeback.dev/budget", "300"));
    store.annotations().record("d", Map.of("chargeback.dev/budget", "lots\nFAKE LOG LINE"));
    Map<String, Double> budgets = series(withBudgets, "chargeback_budget");
    // The annotation wins over the book; a selector matches the kept labels; the first wins.
    assertThat(budgets)
        .containsExactly(Map.entry("a", 300.0), Map.entry("b", 250.0), Map.entry("c", 99.0));
    // d's annotation is not an amount: ignored (no budget), and e has none anywhere.
    Map<String, Double> forecast = series(withBudgets, "chargeback_cost_forecast");
    // The run-rate is the average of the last 7 complete days (10), times the 10.5 days left.
    assertThat(forecast.get("a")).isCloseTo(195 + 10 * 10.5, within(1e-9));
    // The bill's forecast is made by the same MonthEnd; its words name the same numbers.
    assertThat(
            dev.chargeback.meter.bill.MonthEnd.of(
                    new double[] {10, 10, 10, 10, 10, 10, 10, 10, 5},
                    store.calendar(),
                    november,
                    Instant.ofEpochMilli(now.get()))
                .method())
        .contains("last 7 complete day(s)")
        .contains("10.5 days left");
  }

  private static Map<String, Double> series(BillingMetrics collector, String name) {
    Map<String, Double> out = new java.util.TreeMap<>();
    for (Family f : collector.collect()) {
      if (f.name().equals(name)) {
        for (Point p : f.points()) {
          out.merge(p.labels().get("namespace"), p.value(), Double::sum);
        }
      }
    }
    return out;
  }

  /**
   * The bill and the metric computed coverage apart: the metric left imported hours out, and the
   * bill added a kubelet's covered seconds to a ratio (any live coverage read 100%).
   */
  @Test
  void coverageIsTheBillsAfterAnImport() {
    // A kubelet scraped for six hours, and a whole day imported from Prometheus.
    long scraped = Instant.parse("2026-11-10T06:00:00Z").toEpochMilli();
    store.apply(
        new Ingest(
            "cadvisor:node-1",
            scraped,
            scraped - 6 * 3_600_000L,
            6 * 3_600_000L,
            List.of(new Usage("a", "", "", Resource.CPU, scraped - 1000, scraped, 1)),
            Map.of(),
            1));
    long imported = Instant.parse("2026-11-05T00:00:00Z").toEpochMilli();
    for (int h = 0; h < 24; h++) {
      long hour = imported + h * 3_600_000L;
      store.applyImported(
          hour, List.of(new Usage("a", "", "", Resource.CPU, hour, hour + 3_600_000L, 10)));
    }
    cost("a", "2026-11-10T05:00:00Z", 5);
    double metric = gauge("chargeback_coverage_ratio", "a");
    double bill =
        new Biller(store, PriceBookLoader.defaults(), () -> Instant.ofEpochMilli(now.get()))
            .bill("a", YearMonth.of(2026, 11))
            .coverage();
    double expected =
        (6 + 24)
            * 3600.0
            / Duration.between(
                    Instant.parse("2026-11-01T00:00:00Z"), Instant.parse("2026-11-20T12:00:00Z"))
                .toSeconds();
    assertThat(metric).isCloseTo(expected, within(1e-9));
    assertThat(bill).isEqualTo(metric);
  }
}
