package dev.chargeback.meter.bill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openpdf.text.pdf.PRStream;
import org.openpdf.text.pdf.PdfReader;

/** Bills with hand-computed numbers. */
class BillerTest {
  private static final double GIB = 1024.0 * 1024 * 1024;
  private static final String BOOK =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
          taxRate: 0.10
          namespaces:
            team-a: {discount: 0.15}
        - effectiveFrom: "2026-10-16"
          prices: {cpuCoreHour: 50, memoryGibHour: 6.5, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
          taxRate: 0.10
          namespaces:
            team-a: {discount: 0.15}
      """;

  private final BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
  private RollupStore store;

  @BeforeEach
  void meterOctober() {
    store = new RollupStore(new MemoryKeyValueStore(), utc);
    List<Usage> usages = new ArrayList<>();
    for (LocalDate d = LocalDate.of(2026, 10, 1);
        d.isBefore(LocalDate.of(2026, 11, 1));
        d = d.plusDays(1)) {
      long start = utc.startOf(d) * 1000;
      long end = start + 86_400_000L;
      // 2 cores and 4 GiB all day; 10 GiB sent.
      usages.add(new Usage("team-a", "Deployment/api", "", Resource.CPU, start, end, 2 * 86400.0));
      usages.add(
          new Usage("team-a", "Deployment/api", "", Resource.MEMORY, start, end, 4 * GIB * 86400));
      usages.add(
          new Usage(
              "team-a", "Deployment/api", "", Resource.NETWORK_TRANSMIT, start, end, 10 * GIB));
      usages.add(new Usage("team-b", "Deployment/web", "", Resource.CPU, start, end, 0.5 * 86400));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
  }

  private Biller biller(PriceBook book, String now) {
    return new Biller(store, book, InstantSource.fixed(Instant.parse(now)));
  }

  @Test
  void namespaceLabelsOfTheBilledMonthArePrinted() {
    store.labels().record("team-a", YearMonth.of(2026, 9), Map.of("team", "payments"));
    store
        .labels()
        .record(
            "team-a", YearMonth.of(2026, 11), Map.of("team", "checkout", "cost-center", "CC-2"));
    Biller biller = biller(PriceBookLoader.parse(BOOK, "test"), "2026-11-05T00:00:00Z");
    // October has no record of its own: September's labels were still in force.
    Bill october = biller.bill("team-a", YearMonth.of(2026, 10));
    assertThat(october.labels()).containsExactly(Map.entry("team", "payments"));
    assertThat(BillJson.tree(october).get("labels").toString())
        .isEqualTo("{\"team\":\"payments\"}");
    assertThat(store.labels().at("team-a", YearMonth.of(2026, 11)))
        .containsExactly(Map.entry("cost-center", "CC-2"), Map.entry("team", "checkout"));
    assertThat(store.labels().at("team-b", YearMonth.of(2026, 10))).isEmpty();
  }

  @Test
  void csvQuotesCellsNeutralisesFormulasAndCarriesTheLabels() {
    store
        .labels()
        .record("team-a", YearMonth.of(2026, 10), Map.of("team", "pay,ments \"A\"", "@owner", "x"));
    Bill bill =
        biller(PriceBookLoader.parse(BOOK, "test"), "2026-11-05T00:00:00Z")
            .bill("team-a", YearMonth.of(2026, 10));
    List<String> rows =
        new String(BillCsv.render(bill), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
    assertThat(rows.get(0))
        .isEqualTo(
            "namespace,month,resource,node_class,device,note,quantity,unit,unit_price,amount,currency,cluster,labels");
    assertThat(rows).hasSize(1 + bill.lines().size());
    // A cell starting with @ would run as a formula: it gets an apostrophe, then RFC 4180 quoting.
    assertThat(rows.get(1))
        .startsWith("team-a,2026-10,cpu,")
        .endsWith(",KRW,,\"'@owner=x; team=pay,ments \"\"A\"\"\"");
    assertThat(BillCsv.text("=1+2")).isEqualTo("'=1+2");
    assertThat(BillCsv.text("-3")).isEqualTo("'-3");
    assertThat(BillCsv.text("team-a")).isEqualTo("team-a");
  }

  @Test
  void priceChangeMidMonthDiscountAndTaxAreExact() {
    Bill bill =
        biller(PriceBookLoader.parse(BOOK, "test"), "2026-11-05T00:00:00Z")
            .bill("team-a", YearMonth.of(2026, 10));
    // 1–15 Oct at version 1: 720 core-h × 45 = 32400; 1440 GiB-h × 6 = 8640; 150 GiB × 150 = 22500.
    // 16–31 Oct at version 2: 768 core-h × 50 = 38400; 1536 GiB-h × 6.5 = 9984; 160 GiB × 150 =
    // 24000.
    assertThat(bill.lines())
        .extracting(
            l ->
                l.resource().code
                    + " "
                    + l.note()
                    + " "
                    + l.quantity().toPlainString()
                    + " "
                    + l.unitPrice().toPlainString()
                    + " "
                    + l.amount().toPlainString())
        .containsExactly(
            "cpu from 2026-01-01 720.0000 45 32400",
            "memory from 2026-01-01 1440.0000 6 8640",
            "network_transmit from 2026-01-01 150.0000 150 22500",
            "cpu from 2026-10-16 768.0000 50 38400",
            "memory from 2026-10-16 1536.0000 6.5 9984",
            "network_transmit from 2026-10-16 160.0000 150 24000");
    // Discount 15 %: 63540 → 9531, 72384 → 10857.6 → 10858. Tax 10 % of the rest:
    // 5400.9 → 5401 and 6152.6 → 6153.
    assertThat(bill.subtotal()).isEqualByComparingTo("135924");
    assertThat(bill.discount()).isEqualByComparingTo("20389");
    assertThat(bill.tax()).isEqualByComparingTo("11554");
    assertThat(bill.total()).isEqualByComparingTo("127089");
    assertThat(bill.total().scale()).isZero();
    BigDecimal sum =
        bill.lines().stream().map(BillLine::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(sum.subtract(bill.discount()).add(bill.tax())).isEqualByComparingTo(bill.total());
    assertThat(bill.preliminary()).isFalse();
    assertThat(bill.periodEnd()).isEqualTo(LocalDate.of(2026, 10, 31));
    assertThat(bill.versions()).hasSize(2);
    assertThat(bill.weekly()).hasSize(5);
    assertThat(bill.weekly().get(4).quantities().get(BillResource.CPU)).isEqualTo(3 * 48.0);
    assertThat(bill.topWorkloads())
        .extracting(Bill.WorkloadCost::workload)
        .containsExactly("Deployment/api");
  }

  @Test
  void dollarsRoundToCentsOncePerLine() {
    PriceBook usd =
        PriceBookLoader.parse(
            """
        currency: USD
        versions:
          - effectiveFrom: "2026-01-01"
            prices: {cpuCoreHour: 0.031611, memoryGibHour: 0.004237, networkReceiveGib: 0, networkTransmitGib: 0.12, storageGibHour: 0.000137}
        """,
            "usd");
    Bill bill = biller(usd, "2026-11-05T00:00:00Z").bill("team-b", YearMonth.of(2026, 10));
    // 0.5 core × 24 h × 31 days = 372 core-hours × 0.031611 = 11.759292 → 11.76
    assertThat(bill.lines())
        .singleElement()
        .satisfies(
            l -> {
              assertThat(l.quantity()).isEqualByComparingTo("372");
              assertThat(l.amount().toPlainString()).isEqualTo("11.76");
            });
    assertThat(bill.total().toPlainString()).isEqualTo("11.76");
    assertThat(bill.tax().toPlainString()).isEqualTo("0.00");
  }

  @Test
  void anOpenMonthIsPreliminaryAndEndsToday() {
    Bill bill =
        biller(PriceBookLoader.defaults(), "2026-10-20T12:00:00Z")
            .bill("team-b", YearMonth.of(2026, 10));
    assertThat(bill.preliminary()).isTrue();
    assertThat(bill.periodEnd()).isEqualTo(LocalDate.of(2026, 10, 20));
    assertThat(bill.daily()).hasSize(20);
  }

  @Test
  void requestBasisWithoutRequestsFallsBackToUsageAndSaysSo() {
    PriceBook book =
        PriceBookLoader.parse(
            BOOK.replace(
                "taxRate: 0.10\n    namespaces",
                "taxRate: 0.10\n    basis: request\n    namespaces"),
            "t");
    Bill bill = biller(book, "2026-11-05T00:00:00Z").bill("team-b", YearMonth.of(2026, 10));
    assertThat(bill.notes()).anyMatch(n -> n.contains("billed on usage"));
    assertThat(bill.lines()).isNotEmpty();
  }

  @Test
  void billNumbersAreDeterministic() {
    assertThat(Biller.billNumber("team-a", YearMonth.of(2026, 10)))
        .isEqualTo(Biller.billNumber("team-a", YearMonth.of(2026, 10)))
        .isNotEqualTo(Biller.billNumber("team-b", YearMonth.of(2026, 10)))
        .matches("CB-202610-[0-9A-F]{8}");
  }

  @Test
  void unknownNamespacesAndUnmeteredMonthsAreNotFound() {
    Biller biller = biller(PriceBookLoader.defaults(), "2026-11-05T00:00:00Z");
    assertThatThrownBy(() -> biller.bill("nobody", YearMonth.of(2026, 10)))
        .isInstanceOfSatisfying(
            BillException.class, e -> assertThat(e.kind()).isEqualTo(BillException.Kind.NOT_FOUND))
        .hasMessage("namespace nobody has never been metered");
    assertThatThrownBy(() -> biller.bill("team-a", YearMonth.of(2026, 8)))
        .hasMessage("no usage of namespace team-a was metered in 2026-08");
    assertThatThrownBy(() -> biller.bill("team-a", YearMonth.of(2026, 12)))
        .isInstanceOfSatisfying(
            BillException.class,
            e -> assertThat(e.kind()).isEqualTo(BillException.Kind.BAD_REQUEST));
  }

  private void meterCapacity() {
    List<Usage> usages = new ArrayList<>();
    for (LocalDate d = LocalDate.of(2026, 10, 1);
        d.isBefore(LocalDate.of(2026, 11, 1));
        d = d.plusDays(1)) {
      long start = utc.startOf(d) * 1000;
      long end = start + 86_400_000L;
      // One node: 4 cores and 16 GiB all day.
      usages.add(new Usage("", "", "node-1", Resource.CAPACITY_CPU, start, end, 4 * 86400.0));
      usages.add(
          new Usage("", "", "node-1", Resource.CAPACITY_MEMORY, start, end, 16 * GIB * 86400));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
  }

  private static PriceBook idle(String policy) {
    return PriceBookLoader.parse(
        "currency: KRW\nversions:\n  - effectiveFrom: \"2026-01-01\"\n"
            + "    prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 0, storageGibHour: 0}\n"
            + "    idle: "
            + policy
            + "\n",
        "idle");
  }

  private static String line(Bill bill, String resource) {
    return bill.lines().stream()
        .filter(l -> l.resource().code.equals(resource))
        .map(
            l ->
                l.quantity().toPlainString()
                    + " x "
                    + l.unitPrice().toPlainString()
                    + " = "
                    + l.amount().toPlainString())
        .findFirst()
        .orElse("none");
  }

  @Test
  void sharedIdleCapacityFollowsEachNamespacesShareOfCpuAndMemoryCost() {
    meterCapacity();
    Biller biller = biller(idle("share"), "2026-11-05T00:00:00Z");
    Bill a = biller.bill("team-a", YearMonth.of(2026, 10));
    Bill b = biller.bill("team-b", YearMonth.of(2026, 10));
    // A day: capacity 96 core-h and 384 GiB-h; used 2.5 cores (60 core-h) and 4 GiB (96 GiB-h),
    // so 36 core-h and 288 GiB-h are idle. Cost shares: team-a 48×45 + 96×6 = 2736, team-b
    // 12×45 = 540, of 3276. Over 31 days team-a gets 36×2736/3276×31 = 932.0440 core-h and
    // 288×2736/3276×31 = 7456.3516 GiB-h; team-b the rest: 183.9560 and 1471.6484.
    assertThat(line(a, "idle_cpu")).isEqualTo("932.0440 x 45 = 41942");
    assertThat(line(a, "idle_memory")).isEqualTo("7456.3516 x 6 = 44738");
    assertThat(line(b, "idle_cpu")).isEqualTo("183.9560 x 45 = 8278");
    assertThat(line(b, "idle_memory")).isEqualTo("1471.6484 x 6 = 8830");
  }

  @Test
  void separateIdleCapacityIsItsOwnBill() {
    meterCapacity();
    Biller biller = biller(idle("separate"), "2026-11-05T00:00:00Z");
    assertThat(biller.namespaces()).contains(Biller.IDLE);
    Bill idle = biller.bill(Biller.IDLE, YearMonth.of(2026, 10));
    assertThat(idle.lines())
        .extracting(BillLine::resource)
        .containsExactly(BillResource.IDLE_CPU, BillResource.IDLE_MEMORY);
    assertThat(line(idle, "idle_cpu")).isEqualTo("1116.0000 x 45 = 50220");
    assertThat(line(idle, "idle_memory")).isEqualTo("8928.0000 x 6 = 53568");
    assertThat(line(biller.bill("team-a", YearMonth.of(2026, 10)), "idle_cpu")).isEqualTo("none");
  }

  @Test
  void idlePoliciesWithoutCapacityDataSaySo() {
    Bill bill =
        biller(idle("share"), "2026-11-05T00:00:00Z").bill("team-a", YearMonth.of(2026, 10));
    assertThat(bill.notes()).anyMatch(n -> n.contains("node capacity"));
    assertThat(line(bill, "idle_cpu")).isEqualTo("none");
  }

  @Test
  void aPreliminaryBillShowsThePreviousMonthAndAForecast() {
    List<Usage> usages = new ArrayList<>();
    for (int day = 1; day <= 4; day++) {
      long start = utc.startOf(LocalDate.of(2026, 11, day)) * 1000;
      long end = start + 86_400_000L;
      usages.add(new Usage("team-a", "Deployment/api", "", Resource.CPU, start, end, 2 * 86400.0));
      usages.add(
          new Usage("team-a", "Deployment/api", "", Resource.MEMORY, start, end, 4 * GIB * 86400));
      usages.add(
          new Usage(
              "team-a", "Deployment/api", "", Resource.NETWORK_TRANSMIT, start, end, 10 * GIB));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
    Bill bill =
        biller(PriceBookLoader.parse(BOOK, "test"), "2026-11-05T00:00:00Z")
            .bill("team-a", YearMonth.of(2026, 11));
    // A day: 48 core-h × 50 + 96 GiB-h × 6.5 + 10 GiB × 150 = 4524; four days 18096, less 15 %
    // (2714) plus 10 % tax (1538): 16920.
    assertThat(bill.total()).isEqualByComparingTo("16920");
    // October's bill (priceChangeMidMonthDiscountAndTaxAreExact): 127089.
    assertThat(bill.previousTotal()).isEqualByComparingTo("127089");
    assertThat(bill.change()).isEqualByComparingTo("-110169");
    // Run-rate 4524 × 0.85 × 1.1 = 4229.94 a day, for the 26 days from 5 November on.
    assertThat(bill.forecast().total()).isEqualByComparingTo("126898");
    assertThat(bill.forecast().method())
        .isEqualTo(
            "month to date plus the average daily cost of the last 4 complete day(s) times the"
                + " 26.0 days left");
    assertThat(BillJson.tree(bill).get("forecast").get("total").asText()).isEqualTo("126898");
    // A final bill forecasts nothing.
    assertThat(
            biller(PriceBookLoader.parse(BOOK, "test"), "2026-11-05T00:00:00Z")
                .bill("team-a", YearMonth.of(2026, 10))
                .forecast())
        .isNull();
  }

  @Test
  void onTheFirstOfAMonthTheChartsShowTheOneDay() throws Exception {
    PriceBook book = PriceBookLoader.parse(BOOK, "test");
    BillPdf pdf = new BillPdf(BillPdf.Style.DEFAULT);
    Bill firstDay = biller(book, "2026-10-01T12:00:00Z").bill("team-a", YearMonth.of(2026, 10));
    assertThat(firstDay.daily()).hasSize(1);
    // A day is drawn as a dot (four Bézier curves); lines and the pie are straight segments.
    assertThat(curves(pdf.render(firstDay))).isPositive();
    Bill month = biller(book, "2026-11-05T00:00:00Z").bill("team-a", YearMonth.of(2026, 10));
    assertThat(curves(pdf.render(month))).isZero();
  }

  /** Curve operators in every content stream of a PDF (charts are form XObjects). */
  private static int curves(byte[] pdf) throws Exception {
    PdfReader reader = new PdfReader(pdf);
    int count = 0;
    for (int i = 1; i < reader.getXrefSize(); i++) {
      if (reader.getPdfObject(i) instanceof PRStream stream) {
        String ops = new String(PdfReader.getStreamBytes(stream), StandardCharsets.ISO_8859_1);
        count += (int) ops.lines().filter(l -> l.endsWith(" c")).count();
      }
    }
    reader.close();
    return count;
  }
}
