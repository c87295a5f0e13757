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
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Persistent volume claims priced by their StorageClass, with hand-computed numbers. */
class StorageClassesTest {
  private static final double GIB = 1024.0 * 1024 * 1024;

  /** Storage 0.2 a GiB-hour; premium-rwo 0.5, for team-b 0.4. */
  private static final String BOOK =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 40, memoryGibHour: 0, networkReceiveGib: 0, networkTransmitGib: 0, storageGibHour: 0.2,
                   storageClassGibHour: {premium-rwo: 0.5}}
          namespaces:
            team-b: {prices: {storageClassGibHour: {premium-rwo: 0.4}}}
      """;

  @Test
  void claimsOfAPricedStorageClassPayItsPriceTheRestTheStoragePrice() {
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    RollupStore store = new RollupStore(new MemoryKeyValueStore(), utc);
    long from = Instant.parse("2026-10-05T00:00:00Z").toEpochMilli();
    long to = from + 86_400_000L;
    // 10 GiB for a day each: team-a's data on premium-rwo, its logs on standard; team-b's on
    // premium-rwo.
    store.apply(
        new Ingest(
            "ksm",
            0,
            Long.MIN_VALUE,
            0,
            List.of(
                claim("team-a", "data", "premium-rwo", from, to),
                claim("team-a", "logs", "standard", from, to),
                claim("team-b", "data", "premium-rwo", from, to)),
            Map.of(),
            0));
    PriceBook book = PriceBookLoader.parse(BOOK, "test");
    Biller biller =
        new Biller(store, book, InstantSource.fixed(Instant.parse("2026-11-05T00:00:00Z")));
    // 240 GiB-hours of standard at 0.2 = 48; 240 of premium-rwo at 0.5 = 120 (team-b: 0.4 = 96).
    Bill a = biller.bill("team-a", YearMonth.of(2026, 10));
    assertThat(Lines.of(a))
        .containsExactly("Storage 240.0000 × 0.2 = 48", "Storage premium-rwo 240.0000 × 0.5 = 120");
    assertThat(Lines.of(biller.bill("team-b", YearMonth.of(2026, 10))))
        .containsExactly("Storage premium-rwo 240.0000 × 0.4 = 96");
    assertThat(BillJson.tree(a).get("lines").get(1).get("device").asText())
        .isEqualTo("premium-rwo");
    assertThat(new String(BillCsv.render(a), StandardCharsets.UTF_8))
        .contains("team-a,2026-10,storage,,premium-rwo,,240.0000,GiB-hours,0.5,120,KRW");
    // The day's usage keeps all 480 GiB-hours; 240 of them on premium-rwo.
    Bill.DailyUsage day = a.daily().get(4);
    assertThat(day.quantities().get(BillResource.STORAGE)).isEqualTo(480.0);
    assertThat(day.quantity("sc/premium-rwo", BillResource.STORAGE)).isEqualTo(240.0);
    assertThat(a.total()).isEqualByComparingTo("168");
    // The cost metric accrues each claim at its class's price, as the bill does.
    assertThat(
            new CostAccrual(book, utc)
                .costs(
                    List.of(
                        claim("team-a", "data", "premium-rwo", from, to),
                        claim("team-a", "logs", "standard", from, to),
                        claim("team-b", "data", "premium-rwo", from, to))))
        .extracting(u -> Math.round(u.amount() * 1000) / 1000.0)
        .containsExactly(120.0, 48.0, 96.0);
  }

  private static Usage claim(String ns, String claim, String storageClass, long from, long to) {
    return new Usage(
        ns,
        "PersistentVolumeClaim/" + claim,
        "",
        Resource.STORAGE,
        from,
        to,
        10 * GIB * (to - from) / 1000,
        storageClass);
  }
}
