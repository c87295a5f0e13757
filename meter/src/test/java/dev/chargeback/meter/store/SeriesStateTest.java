package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Point;
import dev.chargeback.meter.time.BillingCalendar;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an accountant resumes from: each target's last samples and last successful scrape. */
class SeriesStateTest {
  private final MemoryKeyValueStore kv = new MemoryKeyValueStore();

  private RollupStore store() {
    return new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));
  }

  private static Ingest scrape(String target, long at, Map<String, Point> puts, List<String> gone) {
    return new Ingest(target, at, Long.MIN_VALUE, 0, List.of(), puts, gone, puts.size());
  }

  @Test
  void aTargetsSamplesAndWatermarkSurviveAReopenAndGoneSeriesAreDropped() {
    RollupStore store = store();
    assertThat(store.series().lastScrape("cadvisor:n1")).isEqualTo(Long.MIN_VALUE);
    assertThat(store.series().targets()).isEmpty();
    store.apply(
        scrape(
            "cadvisor:n1",
            1000,
            Map.of("a", new Point(1, 900), "b", new Point(2, 900)),
            List.of()));
    store.apply(scrape("cadvisor:n1", 2000, Map.of("a", new Point(5, 1900)), List.of("b")));
    store.apply(scrape("ksm", 1500, Map.of("r", new Point(3, 1400, 0.25)), List.of()));

    SeriesState reopened = store().series();
    assertThat(reopened.of("cadvisor:n1")).containsExactly(Map.entry("a", new Point(5, 1900)));
    assertThat(reopened.lastScrape("cadvisor:n1")).isEqualTo(2000);
    assertThat(reopened.lastScrape("ksm")).isEqualTo(1500);
    // A gauge's uncounted rest goes on after a restart, with the sample it was left from.
    assertThat(reopened.of("ksm")).containsExactly(Map.entry("r", new Point(3, 1400, 0.25)));
    assertThat(reopened.targets()).containsExactlyInAnyOrder("cadvisor:n1", "ksm");
  }
}
