package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.time.BillingCalendar;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Two kubelets scraped every minute over three days, one of them down for six hours on day 2. */
class CoverageTest {
  private final BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
  private final RollupStore store = new RollupStore(new MemoryKeyValueStore(), utc);
  private final LocalDate first = LocalDate.of(2026, 11, 3);

  CoverageTest() {
    long start = utc.startOf(first) * 1000;
    for (String kubelet : List.of("cadvisor:a", "cadvisor:b")) {
      for (long t = start + 60_000; t <= start + 3 * 86_400_000L; t += 60_000) {
        boolean down =
            kubelet.equals("cadvisor:b")
                && t > start + 86_400_000L + 6 * 3_600_000L
                && t <= start + 86_400_000L + 12 * 3_600_000L;
        if (!down) {
          store.apply(new Ingest(kubelet, t, t - 60_000, 60_000, List.of(), Map.of(), 0));
        }
      }
    }
  }

  @Test
  void eachDaysShareIsTheRatioOfThatDayAlone() {
    long now = utc.startOf(first.plusDays(2)) + 12 * 3600; // noon of day 3
    double[] daily = Coverage.daily(store, first, first.plusDays(4), now);
    // Days 4 and 5 have not begun; day 3 counts up to now.
    assertThat(daily).hasSize(3);
    for (int d = 0; d < daily.length; d++) {
      long from = utc.startOf(first.plusDays(d));
      assertThat(daily[d])
          .as("day " + (d + 1))
          .isCloseTo(Coverage.ratio(store, from, from + 86_400, now), within(1e-12));
    }
    assertThat(daily[0]).isEqualTo(1.0);
    // One of two kubelets away for a quarter of day 2.
    assertThat(daily[1]).isCloseTo(1 - 0.25 / 2, within(1e-9));
    assertThat(daily[2]).isEqualTo(1.0);
  }
}
