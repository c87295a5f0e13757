package dev.chargeback.meter.bill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Usage priced by the class of the node it ran on, with hand-computed numbers. */
class NodeClassesTest {
  private static final String SPOT = "karpenter.sh/capacity-type";
  private static final YearMonth OCTOBER = YearMonth.of(2026, 10);

  /** CPU 40 a core-hour, memory free; spot CPU 10, from 20 October 12; no tax. */
  private static final String BOOK =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 40, memoryGibHour: 0, networkReceiveGib: 0, networkTransmitGib: 0, storageGibHour: 0}
          idle: %1$s
          nodeClasses:
            - {name: spot, selector: "karpenter.sh/capacity-type=spot", prices: {cpuCoreHour: 10}}
        - effectiveFrom: "2026-10-20"
          prices: {cpuCoreHour: 40, memoryGibHour: 0, networkReceiveGib: 0, networkTransmitGib: 0, storageGibHour: 0}
          idle: %1$s
          nodeClasses:
            - {name: spot, selector: "karpenter.sh/capacity-type=spot", prices: {cpuCoreHour: 12}}
      """;

  private final BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
  private RollupStore store;

  @BeforeEach
  void nodes() {
    store = new RollupStore(new MemoryKeyValueStore(), utc);
    long october = at("2026-10-01T00:00:00Z");
    store.nodeLabels().record("node-a", Map.of(SPOT, "on-demand"), october);
    store.nodeLabels().record("node-b", Map.of(SPOT, "spot"), october);
    store.nodeLabels().record("node-c", Map.of(SPOT, "on-demand"), october);
  }

  private static long at(String instant) {
    return Instant.parse(instant).getEpochSecond();
  }

  /** {@code cores} of CPU in {@code namespace} on {@code node}, hour by hour, as scrapes add it. */
  private void cpu(String namespace, String node, double cores, String from, String to) {
    List<Usage> usages = new ArrayList<>();
    for (long h = at(from); h < at(to); h += 3600) {
      usages.add(
          new Usage(
              namespace,
              "Deployment/app",
              node,
              Resource.CPU,
              h * 1000,
              (h + 3600) * 1000,
              cores * 3600));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
  }

  /** A node's capacity of {@code cores} over a span. */
  private void capacity(String node, double cores, String from, String to) {
    long a = at(from) * 1000;
    long b = at(to) * 1000;
    store.apply(
        new Ingest(
            "n",
            0,
            Long.MIN_VALUE,
            0,
            List.of(new Usage("", "", node, Resource.CAPACITY_CPU, a, b, cores * (b - a) / 1000)),
            Map.of(),
            0));
  }

  private Bill bill(String idle, String namespace) {
    PriceBook book = PriceBookLoader.parse(BOOK.formatted(idle), "test");
    return new Biller(store, book, InstantSource.fixed(Instant.parse("2026-11-05T00:00:00Z")))
        .bill(namespace, OCTOBER);
  }

  @Test
  void aPodMovedToASpotNodeMidDayPaysEachPriceForItsHours() {
    // 2 cores on node-a 00:00–10:00 (on demand), then on node-b (spot) until midnight.
    cpu("team-a", "node-a", 2, "2026-10-05T00:00:00Z", "2026-10-05T10:00:00Z");
    cpu("team-a", "node-b", 2, "2026-10-05T10:00:00Z", "2026-10-06T00:00:00Z");
    Bill bill = bill("ignore", "team-a");
    // 20 core-hours × 40 = 800 and 28 core-hours × 10 = 280.
    assertThat(Lines.of(bill))
        .containsExactly("CPU 20.0000 × 40 = 800", "CPU · spot 28.0000 × 10 = 280");
    assertThat(bill.total()).isEqualByComparingTo("1080");
    assertThat(bill.lines().stream().map(BillLine::amount).reduce(BigDecimal.ZERO, BigDecimal::add))
        .isEqualByComparingTo(bill.subtotal());
    // The day's usage is all of it; 28 core-hours of it ran on spot.
    Bill.DailyUsage day = bill.daily().get(4);
    assertThat(day.quantities().get(BillResource.CPU)).isEqualTo(48.0);
    assertThat(day.quantity("spot", BillResource.CPU)).isEqualTo(28.0);
    assertThat(day.quantity("", BillResource.CPU)).isEqualTo(20.0);
  }

  @Test
  void aNodeRelabelledIntoSpotPricesTheHoursBeforeAndAfterApart() {
    // node-c becomes spot at 14:00 on 6 October; 1 core runs there all day.
    store.nodeLabels().record("node-c", Map.of(SPOT, "spot"), at("2026-10-06T14:00:00Z"));
    cpu("team-b", "node-c", 1, "2026-10-06T00:00:00Z", "2026-10-07T00:00:00Z");
    // 14 hours on demand × 40 = 560; 10 hours spot × 10 = 100.
    assertThat(Lines.of(bill("ignore", "team-b")))
        .containsExactly("CPU 14.0000 × 40 = 560", "CPU · spot 10.0000 × 10 = 100");
    // Unchanged labels start no new revision; node-c now shares node-b's label set.
    store.nodeLabels().record("node-c", Map.of(SPOT, "spot"), at("2026-10-07T00:00:00Z"));
    assertThat(store.nodeLabels().placements().values())
        .containsExactlyInAnyOrder(Map.of(SPOT, "on-demand"), Map.of(SPOT, "spot"));
    assertThat(store.nodeLabels().placementAt("node-c", at("2026-10-06T15:00:00Z")))
        .isEqualTo(store.nodeLabels().placementAt("node-b", at("2026-10-06T15:00:00Z")))
        .isNotEqualTo(store.nodeLabels().placementAt("node-c", at("2026-10-06T13:00:00Z")));
  }

  @Test
  void eachClassFollowsItsOwnPriceVersions() {
    cpu("team-a", "node-b", 1, "2026-10-19T00:00:00Z", "2026-10-21T00:00:00Z");
    // 24 core-hours at spot 10 on the 19th, 24 at spot 12 from the 20th.
    assertThat(Lines.of(bill("ignore", "team-a")))
        .containsExactly("CPU · spot 24.0000 × 10 = 240", "CPU · spot 24.0000 × 12 = 288");
  }

  @Test
  void idleCapacityIsPricedPerClass() {
    // node-a: 4 cores, 2 used by team-a; node-b (spot): 8 cores, 3 used by team-b; one day.
    capacity("node-a", 4, "2026-10-05T00:00:00Z", "2026-10-06T00:00:00Z");
    capacity("node-b", 8, "2026-10-05T00:00:00Z", "2026-10-06T00:00:00Z");
    cpu("team-a", "node-a", 2, "2026-10-05T00:00:00Z", "2026-10-06T00:00:00Z");
    cpu("team-b", "node-b", 3, "2026-10-05T00:00:00Z", "2026-10-06T00:00:00Z");
    // Separate: (4 − 2) × 24 = 48 idle core-hours at 40; (8 − 3) × 24 = 120 at spot's 10.
    assertThat(Lines.of(bill("separate", Biller.IDLE)))
        .containsExactly(
            "Idle CPU capacity 48.0000 × 40 = 1920",
            "Idle CPU capacity · spot 120.0000 × 10 = 1200");
    // Shared: each namespace carries the idle capacity of the nodes it ran on (without classes
    // team-b would carry part of node-a's, by its share of the whole cluster's cost).
    assertThat(Lines.of(bill("share", "team-a")))
        .containsExactly("CPU 48.0000 × 40 = 1920", "Idle CPU capacity 48.0000 × 40 = 1920");
    assertThat(Lines.of(bill("share", "team-b")))
        .containsExactly(
            "CPU · spot 72.0000 × 10 = 720", "Idle CPU capacity · spot 120.0000 × 10 = 1200");
  }

  @Test
  void theMeteredCostMetricPaysTheClassPriceToo() {
    PriceBook book = PriceBookLoader.parse(BOOK.formatted("ignore"), "test");
    CostAccrual accrual = new CostAccrual(book, utc, store.nodeLabels()::at);
    long from = at("2026-10-05T10:00:00Z") * 1000;
    List<Usage> costs =
        accrual.costs(
            List.of(
                new Usage("team-a", "", "node-b", Resource.CPU, from, from + 3_600_000, 7200),
                new Usage("team-a", "", "node-a", Resource.CPU, from, from + 3_600_000, 7200)));
    // 2 core-hours at spot's 10, and at 40.
    assertThat(costs).extracting(Usage::amount).containsExactly(20.0, 80.0);
  }

  @Test
  void jsonCsvFocusAndPdfNameTheClass(@TempDir Path dir) throws Exception {
    cpu("team-a", "node-a", 2, "2026-10-05T00:00:00Z", "2026-10-05T10:00:00Z");
    cpu("team-a", "node-b", 2, "2026-10-05T10:00:00Z", "2026-10-06T00:00:00Z");
    Bill bill = bill("ignore", "team-a");
    assertThat(BillJson.tree(bill).get("lines").get(1).get("nodeClass").asText()).isEqualTo("spot");
    assertThat(new String(BillCsv.render(bill), StandardCharsets.UTF_8))
        .contains("team-a,2026-10,cpu,spot,,from 2026-01-01,28.0000,core-hours,10,280,KRW");
    String focus = new String(FocusCsv.render(List.of(bill), utc, "acme"), StandardCharsets.UTF_8);
    assertThat(focus.lines().filter(l -> l.endsWith(",cpu,spot,"))).hasSize(1);
    assertThat(focus.lines().filter(l -> l.endsWith(",cpu,,"))).hasSize(1);
    Path pdf = dir.resolve("bill.pdf");
    Files.write(pdf, new BillPdf(BillPdf.Style.DEFAULT).render(bill));
    Process text = new ProcessBuilder("pdftotext", pdf.toString(), "-").start();
    String printed = new String(text.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(text.waitFor()).isZero();
    assertThat(printed).contains("CPU · spot");
  }
}
