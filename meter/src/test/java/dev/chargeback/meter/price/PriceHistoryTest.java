package dev.chargeback.meter.price;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.time.LocalDate;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class PriceHistoryTest {
  private static final LocalDate TODAY = LocalDate.of(2026, 11, 22);
  private final RollupStore store =
      new RollupStore(new MemoryKeyValueStore(), new BillingCalendar(ZoneId.of("UTC")));

  private static PriceBook book(String cpuNow, String cpuLater) {
    return PriceBookLoader.parse(
        "currency: KRW\nversions:\n"
            + version("2026-01-01", "45")
            + version("2026-11-01", cpuNow)
            + version("2026-12-01", cpuLater),
        "t");
  }

  private static String version(String day, String cpu) {
    return "  - effectiveFrom: \""
        + day
        + "\"\n    prices: {cpuCoreHour: "
        + cpu
        + ", memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}\n";
  }

  @Test
  void aBookThatKeepsVersionsInForceIsAccepted() {
    PriceHistory.enforce(store, book("50", "55"), TODAY);
    PriceHistory.enforce(store, book("50.00", "60"), TODAY);
    assertThat(PriceHistory.changes(store, book("50", "70"), TODAY)).isEmpty();
  }

  @Test
  void changingAVersionInForceIsRefusedAndNamed() {
    PriceHistory.enforce(store, book("50", "55"), TODAY);
    assertThatThrownBy(() -> PriceHistory.enforce(store, book("52", "55"), TODAY))
        .isInstanceOf(PriceBookException.class)
        .hasMessageContaining("2026-11-01: prices.cpuCoreHour 50 → 52")
        .hasMessageContaining("chargeback reprice");
  }

  @Test
  void aNodeClassOfAVersionInForceIsImmutableToo() {
    String spot =
        "    nodeClasses:\n      - {name: spot, selector: \"karpenter.sh/capacity-type=spot\","
            + " prices: {cpuCoreHour: %s}}\n";
    PriceHistory.enforce(
        store,
        PriceBookLoader.parse(
            "currency: KRW\nversions:\n" + version("2026-01-01", "45") + spot.formatted("15"), "t"),
        TODAY);
    assertThat(
            PriceHistory.changes(
                store,
                PriceBookLoader.parse(
                    "currency: KRW\nversions:\n"
                        + version("2026-01-01", "45")
                        + spot.formatted("12"),
                    "t"),
                TODAY))
        .containsExactly("2026-01-01: nodeClasses[0].prices.cpuCoreHour 15 → 12");
  }

  @Test
  void aVersionDatedBeforeOneInForceIsRefused() {
    PriceHistory.enforce(store, book("50", "55"), TODAY);
    PriceBook inserted =
        PriceBookLoader.parse(
            "currency: KRW\nversions:\n"
                + version("2026-01-01", "45")
                + version("2026-06-01", "47")
                + version("2026-11-01", "50"),
            "t");
    assertThat(PriceHistory.changes(store, inserted, TODAY))
        .containsExactly("2026-06-01: version added in the past");
  }

  @Test
  void repriceRecordsTheNewPastSoItIsAcceptedFromThenOn() {
    PriceHistory.enforce(store, book("50", "55"), TODAY);
    PriceBook changed = book("52", "55");
    assertThat(PriceHistory.changes(store, changed, TODAY)).hasSize(1);
    PriceHistory.record(store, changed, TODAY);
    assertThat(PriceHistory.changes(store, changed, TODAY)).isEmpty();
    PriceHistory.enforce(store, changed, TODAY);
  }
}
