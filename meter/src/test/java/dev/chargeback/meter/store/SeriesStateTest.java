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

  /** A scrape after which {@code target}'s series are {@code series}. */
  private static Ingest scrape(String target, long at, Map<Long, Point> series) {
    return new Ingest(target, at, Long.MIN_VALUE, 0, List.of(), series, series.size());
  }

  @Test
  void aTargetsSamplesAndWatermarkSurviveAReopenAndGoneSeriesAreDropped() {
    RollupStore store = store();
    assertThat(store.series().lastScrape("cadvisor:n1")).isEqualTo(Long.MIN_VALUE);
    assertThat(store.series().targets()).isEmpty();
    store.apply(scrape("cadvisor:n1", 1000, Map.of(1L, new Point(1, 900), 2L, new Point(2, 900))));
    store.apply(scrape("cadvisor:n1", 2000, Map.of(1L, new Point(5, 1900))));
    store.apply(scrape("ksm", 1500, Map.of(3L, new Point(3, 1400, 0.25))));

    SeriesState reopened = store().series();
    assertThat(reopened.of("cadvisor:n1").asMap())
        .containsExactly(Map.entry(1L, new Point(5, 1900)));
    assertThat(reopened.lastScrape("cadvisor:n1")).isEqualTo(2000);
    assertThat(reopened.lastScrape("ksm")).isEqualTo(1500);
    // A gauge's uncounted rest goes on after a restart, with the sample it was left from.
    assertThat(reopened.of("ksm").asMap()).containsExactly(Map.entry(3L, new Point(3, 1400, 0.25)));
    assertThat(reopened.targets()).containsExactlyInAnyOrder("cadvisor:n1", "ksm");
  }

  @Test
  void lastSamplesStoredAKeyPerSeriesAreGatheredIntoOneValuePerTargetOnce() {
    // A store from before: a key per series (target | 0 | identity), identities of both signs,
    // and a target whose name starts with another's.
    kv.write(
        List.of(
            new Write.Put(
                Family.SERIES, Keys.seriesState("a", 7), Keys.pointValue(new Point(1, 900))),
            new Write.Put(
                Family.SERIES, Keys.seriesState("a", -5), Keys.pointValue(new Point(2, 900, 0.5))),
            new Write.Put(
                Family.SERIES, Keys.seriesState("ab", 7), Keys.pointValue(new Point(3, 950))),
            new Write.Delete(Family.META, Keys.meta(SeriesState.FORMAT_KEY))));
    RollupStore store = store();
    assertThat(store.series().of("a").asMap())
        .containsOnly(Map.entry(7L, new Point(1, 900)), Map.entry(-5L, new Point(2, 900, 0.5)));
    assertThat(store.series().of("ab").asMap()).containsOnly(Map.entry(7L, new Point(3, 950)));
    int[] keys = {0};
    kv.scan(Family.SERIES, new byte[0], null, (k, v) -> ++keys[0] > 0);
    assertThat(keys[0]).as("one key per target").isEqualTo(2);
    // Once: a scrape's state replaces the target's, and a reopen does not gather again.
    store.apply(scrape("a", 2000, Map.of(7L, new Point(4, 1900))));
    assertThat(store().series().of("a").asMap()).containsOnly(Map.entry(7L, new Point(4, 1900)));
  }

  @Test
  void lastSamplesStoredUnderTheirTextAreReKeyedByIdentityOnce() {
    // A store from before identities were numbers: the key ends in the series' text.
    String text = "container_cpu_usage_seconds_total{container=\"web\",id=\"/kubepods/pod1\"}";
    byte[] prefix = Keys.targetPrefix("cadvisor:n1");
    byte[] oldKey = java.util.Arrays.copyOf(prefix, prefix.length + text.length());
    System.arraycopy(
        text.getBytes(java.nio.charset.StandardCharsets.UTF_8),
        0,
        oldKey,
        prefix.length,
        text.length());
    kv.write(
        List.of(
            new Write.Put(Family.SERIES, oldKey, Keys.pointValue(new Point(7.5, 900))),
            new Write.Delete(Family.META, Keys.meta(SeriesState.FORMAT_KEY))));
    long identity =
        dev.chargeback.meter.exposition.Labels.of("container", "web", "id", "/kubepods/pod1")
            .identity("container_cpu_usage_seconds_total");
    assertThat(identity).isEqualTo(dev.chargeback.meter.exposition.Labels.identityOf(text));

    SeriesState reopened = store().series();
    assertThat(reopened.of("cadvisor:n1").asMap())
        .containsExactly(Map.entry(identity, new Point(7.5, 900)));
    assertThat(kv.get(Family.SERIES, oldKey)).isNull();
    assertThat(kv.get(Family.SERIES, Keys.seriesSnapshot("cadvisor:n1"))).isNotNull();
  }
}
