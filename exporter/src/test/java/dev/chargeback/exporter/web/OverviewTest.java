package dev.chargeback.exporter.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.Budgets;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The overview's figures by hand: team-a used 2 cores a day in October and 3 from November 1st,
 * team-b 1 core throughout; it is November 10th.
 */
class OverviewTest {
  private final BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
  private final RollupStore store = new RollupStore(new MemoryKeyValueStore(), utc);
  private final Biller biller =
      new Biller(
          store,
          PriceBookLoader.defaults(),
          InstantSource.fixed(Instant.parse("2026-11-10T12:00:00Z")));
  private final Overview overview = new Overview(biller, new Budgets(store, biller.priceBook()));
  private final Money money = new Money(Locale.US, biller.priceBook().currency());

  OverviewTest() {
    List<Usage> usages = new ArrayList<>();
    for (LocalDate d = LocalDate.of(2026, 10, 1);
        d.isBefore(LocalDate.of(2026, 11, 11));
        d = d.plusDays(1)) {
      long start = utc.startOf(d) * 1000;
      double cores = d.getMonthValue() == 10 ? 2 : 3;
      usages.add(
          new Usage(
              "team-a",
              "Deployment/api",
              "",
              Resource.CPU,
              start,
              start + 86_400_000L,
              cores * 86400));
      usages.add(
          new Usage(
              "team-b", "Deployment/web", "", Resource.CPU, start, start + 86_400_000L, 86400.0));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
    store.labels().record("team-a", YearMonth.of(2026, 10), Map.of("team", "payments"));
    store.labels().record("team-b", YearMonth.of(2026, 10), Map.of("team", "search"));
  }

  private OverviewPage page(String sort, boolean descending, String selector) {
    return overview.page(
        Viewer.OPEN,
        List.of("team-a", "team-b"),
        new Overview.Query(YearMonth.of(2026, 11), sort, descending, selector),
        money);
  }

  @Test
  void theChangeIsAgainstThePreviousMonthsSameDaysAndTotalsAreTheBills() {
    OverviewPage p = page("change", true, "");
    assertThat(p.rows())
        .extracting(OverviewPage.Row::namespace)
        .containsExactly("team-a", "team-b");
    OverviewPage.Row a = p.rows().get(0);
    OverviewPage.Row b = p.rows().get(1);
    // 3 cores against 2 over November 1-10 and October 1-10, at the same prices.
    assertThat(a.change()).isCloseTo(0.5, within(1e-9));
    assertThat(a.changeText()).isEqualTo("+50.0%");
    assertThat(b.change()).isCloseTo(0.0, within(1e-9));
    assertThat(b.changeText()).isEqualTo("0.0%");
    for (OverviewPage.Row r : p.rows()) {
      assertThat(new BigDecimal(r.totalAmount()))
          .isEqualByComparingTo(biller.bill(r.namespace(), YearMonth.of(2026, 11)).total());
    }
    BigDecimal sum = new BigDecimal(a.totalAmount()).add(new BigDecimal(b.totalAmount()));
    assertThat(new BigDecimal(p.totalAmount())).isEqualByComparingTo(sum);
    // Shares by the bills' totals: 3 cores to 1.
    assertThat(a.share()).isCloseTo(0.75, within(1e-3));
    assertThat(p.labelKeys()).containsExactly("team");
    // Ten days of the month so far: ten bars.
    assertThat(p.chart()).contains("aria-label=\"Daily cost by namespace, 2026-11\"");
    assertThat(p.legend()).extracting(Svg.Series::name).containsExactly("team-a", "team-b");
    assertThat(p.legend().getFirst().values()).hasSize(10);
  }

  @Test
  void sortsAndFiltersByLabel() {
    assertThat(page("namespace", true, "").rows())
        .extracting(OverviewPage.Row::namespace)
        .containsExactly("team-b", "team-a");
    assertThat(page("cost", false, "").rows())
        .extracting(OverviewPage.Row::namespace)
        .containsExactly("team-b", "team-a");
    assertThat(page("cost", true, "team=search").rows())
        .extracting(OverviewPage.Row::namespace)
        .containsExactly("team-b");
    OverviewPage bad = page("cost", true, "team in (a");
    assertThat(bad.selectorError()).isNotEmpty();
    assertThat(bad.rows()).hasSize(2);
    assertThat(page("cost", true, "team=nobody").message())
        .isEqualTo("Nothing was metered in 2026-11 that matches.");
  }
}
