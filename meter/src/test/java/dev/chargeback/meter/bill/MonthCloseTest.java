package dev.chargeback.meter.bill;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A closed month's bills are final: late data and a reprice change nothing in them. */
class MonthCloseTest {
  private static final String BOOK =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
          taxRate: 0.10
      """;
  private static final String REPRICED = BOOK.replace("cpuCoreHour: 45", "cpuCoreHour: 90");
  private static final YearMonth OCTOBER = YearMonth.of(2026, 10);

  private final BillingCalendar seoul = new BillingCalendar(ZoneId.of("Asia/Seoul"));
  private final MemoryKeyValueStore kv = new MemoryKeyValueStore();
  private final RollupStore store = new RollupStore(kv, seoul);
  private final PriceBook book = PriceBookLoader.parse(BOOK, "test");

  private void meter(LocalDate from, LocalDate to, double cores) {
    List<Usage> usages = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
      long start = seoul.startOf(d) * 1000;
      usages.add(
          new Usage(
              "team-a",
              "Deployment/api",
              "",
              Resource.CPU,
              start,
              start + 86_400_000L,
              cores * 86400));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
  }

  private MonthClose close(String now) {
    return new MonthClose(
        store, book, Duration.ofHours(72), InstantSource.fixed(Instant.parse(now)));
  }

  private static String json(Bill bill) {
    return new String(BillJson.render(bill), StandardCharsets.UTF_8);
  }

  @TempDir Path dir;

  @Test
  void aMonthClosesOnceAfterItsDelayAndItsBillsNeverChange() throws Exception {
    meter(LocalDate.of(2026, 10, 1), LocalDate.of(2026, 11, 2), 2);
    // October ends at 2026-10-31T15:00Z in Seoul; it closes 72 h later.
    assertThat(close("2026-11-03T14:59:59Z").run()).isEmpty();
    assertThat(close("2026-11-03T15:00:00Z").run()).containsExactly(OCTOBER);
    assertThat(close("2026-11-04T00:00:00Z").run()).isEmpty();

    Bill closed =
        new Biller(store, book, InstantSource.fixed(Instant.parse("2026-11-05T00:00:00Z")))
            .bill("team-a", OCTOBER);
    assertThat(closed.closing().closedAt()).isEqualTo(Instant.parse("2026-11-03T15:00:00Z"));
    assertThat(closed.closing().sha256()).hasSize(64);
    assertThat(closed.issueDate()).isEqualTo(LocalDate.of(2026, 11, 4));
    assertThat(closed.preliminary()).isFalse();
    // 31 days × 48 core-h × 45 = 66960, +10 % tax.
    assertThat(closed.total()).isEqualByComparingTo("73656");
    String finalJson = json(closed);
    assertThat(finalJson).contains("\"status\" : \"final\"").contains(closed.closing().sha256());

    // Late usage counted into October, then a reprice: the final bill stays byte for byte.
    meter(LocalDate.of(2026, 10, 10), LocalDate.of(2026, 10, 12), 1);
    long[] october = seoul.month(OCTOBER);
    assertThat(
            store.sum(
                dev.chargeback.meter.time.Granularity.DAY,
                dev.chargeback.meter.rollup.RollupKey.namespace("team-a", Resource.CPU),
                october[0],
                october[1]))
        .isEqualTo(31 * 2 * 86400.0 + 3 * 86400.0);
    Biller repriced =
        new Biller(
            new RollupStore(kv, seoul),
            PriceBookLoader.parse(REPRICED, "test"),
            InstantSource.fixed(Instant.parse("2026-12-01T00:00:00Z")));
    assertThat(json(repriced.bill("team-a", OCTOBER))).isEqualTo(finalJson);
    // Its PDF is the same bytes at every rendering (an open month's carries the time it ran).
    BillPdf pdf = new BillPdf(BillPdf.Style.DEFAULT);
    byte[] once = pdf.render(repriced.bill("team-a", OCTOBER));
    byte[] twice = pdf.render(closed);
    assertThat(twice).isEqualTo(once);
    // Still a well-formed PDF after its identifier and font tags were made reproducible.
    Path file = dir.resolve("final.pdf");
    Files.write(file, once);
    Process text =
        new ProcessBuilder("pdftotext", file.toString(), "-").redirectErrorStream(true).start();
    String printed = new String(text.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(text.waitFor()).isZero();
    assertThat(printed).contains("FINAL: closed 2026-11-03T15:00:00Z").doesNotContain("Error");
    assertThat(new String(once, StandardCharsets.ISO_8859_1))
        .contains("/ID [<" + closed.closing().sha256().substring(0, 32));
    // November's bill compares itself with October's final total.
    assertThat(repriced.bill("team-a", YearMonth.of(2026, 11)).previousTotal())
        .isEqualByComparingTo("73656");
    // What changed in October is billed on November's bill as corrections, at the prices October
    // closed with: the 72 late core-hours at 45 (3240) and their 10 % tax.
    assertThat(repriced.bill("team-a", YearMonth.of(2026, 11)).corrections())
        .extracting(c -> c.month() + " " + c.item() + " " + c.amount().toPlainString())
        .containsExactly("2026-10 cpu 3240", "2026-10 tax 324");
    // Told to (reprice --correct-closed), the new prices too: 1560 core-h at 90 (140400) against
    // 1488 at 45 (66960), and the tax on the difference.
    MonthClose.correctPrices(store, OCTOBER, Instant.parse("2026-12-01T00:00:00Z"));
    Bill november = repriced.bill("team-a", YearMonth.of(2026, 11));
    assertThat(november.corrections())
        .extracting(c -> c.month() + " " + c.item() + " " + c.amount().toPlainString())
        .containsExactly("2026-10 cpu 73440", "2026-10 tax 7344");
    // November's own two days (96 core-h at 90, +10 %) plus the corrections.
    assertThat(november.total()).isEqualByComparingTo("90288");
    BigDecimal focusSum =
        new String(FocusCsv.render(List.of(november), seoul, "x"), StandardCharsets.UTF_8)
            .lines()
            .skip(1)
            .map(l -> new BigDecimal(l.substring(0, l.indexOf(','))))
            .reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(focusSum).isEqualByComparingTo(november.total());
    assertThat(new String(FocusCsv.render(List.of(november), seoul, "x"), StandardCharsets.UTF_8))
        .contains(",Adjustment,Correction,Correction for 2026-10: cpu");

    // November closes with its corrections; December corrects only what changed after that.
    new MonthClose(
            new RollupStore(kv, seoul),
            PriceBookLoader.parse(REPRICED, "test"),
            Duration.ofHours(72),
            InstantSource.fixed(Instant.parse("2026-12-03T15:00:00Z")))
        .run();
    meter(LocalDate.of(2026, 12, 1), LocalDate.of(2026, 12, 4), 2);
    Biller december =
        new Biller(
            new RollupStore(kv, seoul),
            PriceBookLoader.parse(REPRICED, "test"),
            InstantSource.fixed(Instant.parse("2026-12-05T00:00:00Z")));
    assertThat(december.bill("team-a", YearMonth.of(2026, 11)).corrections()).hasSize(2);
    assertThat(december.bill("team-a", YearMonth.of(2026, 12)).corrections()).isEmpty();
    meter(LocalDate.of(2026, 10, 20), LocalDate.of(2026, 10, 20), 1);
    assertThat(december.bill("team-a", YearMonth.of(2026, 12)).corrections())
        .extracting(c -> c.month() + " " + c.item() + " " + c.amount().toPlainString())
        .containsExactly("2026-10 cpu 2160", "2026-10 tax 216");

    // A namespace with no final bill in a closed month has none.
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> repriced.bill("team-b", OCTOBER))
        .isInstanceOf(BillException.class);
  }
}
