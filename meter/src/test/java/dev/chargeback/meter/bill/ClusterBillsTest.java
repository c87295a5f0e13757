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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A central chargeback's bill of a namespace that ran in its own cluster and two others, one of
 * them with prices of its own: the lines of each, the clusters' subtotals, totals that add up.
 */
class ClusterBillsTest {
  private final BillingCalendar utc = new BillingCalendar(ZoneOffset.UTC);

  private static final String PRICES =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
          taxRate: 0.10
          namespaces: {default: {discount: 0.05}}
      clusters:
        east:
          versions:
            - effectiveFrom: "2026-01-01"
              prices: {cpuCoreHour: 90, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
              taxRate: 0.10
      """;

  private static List<Usage> cpu(String namespace, long from, double cores) {
    return List.of(
        new Usage(namespace, "", "", Resource.CPU, from, from + 3_600_000, cores * 3600));
  }

  @Test
  void aNamespaceOfThreeClustersGetsOneBillOfAllThreeAtEachClustersPrices(@TempDir Path dir)
      throws Exception {
    RollupStore store = new RollupStore(new MemoryKeyValueStore(), utc);
    long day = utc.startOf(LocalDate.of(2026, 11, 3)) * 1000;
    store.apply(
        new Ingest("t", day + 3_600_000, Long.MIN_VALUE, 0, cpu("default", day, 1), Map.of(), 0));
    store.cluster("east").applyImported(day, cpu("default", day, 2));
    store.cluster("west").applyImported(day, cpu("default", day, 3));
    store.cluster("west").applyImported(day + 3_600_000, cpu("team-a", day + 3_600_000, 1));
    PriceBook book = PriceBookLoader.parse(PRICES, "prices");
    ClusterBills bills =
        new ClusterBills(
            store,
            new Biller(store, book, InstantSource.fixed(Instant.parse("2026-11-20T00:00:00Z"))),
            "home");
    assertThat(bills.clusters()).containsExactly("home", "east", "west");
    assertThat(bills.namespaces()).containsExactly("default", "team-a");

    YearMonth november = YearMonth.of(2026, 11);
    Bill all = bills.bill("default", november);
    assertThat(all.clusters()).containsOnlyKeys("home", "east", "west");
    assertThat(all.lines()).extracting(BillLine::cluster).containsExactly("home", "east", "west");
    // east's core-hour at its own price, the others at the book's.
    assertThat(all.lines())
        .extracting(BillLine::amount)
        .containsExactly(new BigDecimal("45"), new BigDecimal("180"), new BigDecimal("135"));
    BigDecimal lines =
        all.lines().stream().map(BillLine::amount).reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(all.subtotal()).isEqualByComparingTo(lines);
    assertThat(all.total())
        .isEqualByComparingTo(all.subtotal().subtract(all.discount()).add(all.tax()));
    BigDecimal parts = BigDecimal.ZERO;
    for (String c : List.of("home", "east", "west")) {
      Bill one = bills.bill("default", november, c);
      assertThat(one.clusters()).isEmpty();
      assertThat(all.clusters().get(c)).isEqualByComparingTo(one.subtotal());
      parts = parts.add(one.total());
    }
    assertThat(parts).isEqualByComparingTo(all.total());
    // A namespace of one other cluster: its bill has that cluster alone.
    assertThat(bills.bill("team-a", november).clusters()).containsOnlyKeys("west");
    assertThatThrownBy(() -> bills.bill("team-b", november))
        .isInstanceOf(BillException.class)
        .hasMessageContaining("team-b");
    assertThatThrownBy(() -> bills.bill("default", november, "nowhere"))
        .isInstanceOf(BillException.class);

    Path pdf = dir.resolve("bill.pdf");
    Files.write(pdf, new BillPdf(BillPdf.Style.DEFAULT).render(all));
    Process text = new ProcessBuilder("pdftotext", "-layout", pdf.toString(), "-").start();
    String printed = new String(text.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(text.waitFor()).isZero();
    assertThat(printed).contains("By cluster").contains("east · CPU").contains("home · CPU");
    if (System.getProperty("bill.keep") != null) {
      Files.copy(
          pdf,
          Path.of(System.getProperty("bill.keep")),
          java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
  }

  @Test
  void withoutOtherClustersABillIsTheOwnClustersAsBefore() {
    RollupStore store = new RollupStore(new MemoryKeyValueStore(), utc);
    long day = utc.startOf(LocalDate.of(2026, 11, 3)) * 1000;
    store.apply(
        new Ingest("t", day + 3_600_000, Long.MIN_VALUE, 0, cpu("default", day, 1), Map.of(), 0));
    InstantSource clock = InstantSource.fixed(Instant.parse("2026-11-20T00:00:00Z"));
    ClusterBills bills =
        new ClusterBills(store, new Biller(store, PriceBookLoader.defaults(), clock), "local");
    Bill bill = bills.bill("default", YearMonth.of(2026, 11));
    assertThat(bill.clusters()).isEmpty();
    assertThat(bill.lines()).extracting(BillLine::cluster).containsOnly("");
    assertThat(BillJson.render(bill))
        .isEqualTo(
            BillJson.render(
                new Biller(store, PriceBookLoader.defaults(), clock)
                    .bill("default", YearMonth.of(2026, 11))));
  }
}
