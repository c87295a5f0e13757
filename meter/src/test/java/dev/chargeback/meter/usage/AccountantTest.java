package dev.chargeback.meter.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.LastSamples;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each accounting rule with hand-computed expectations. */
class AccountantTest {
  private static final long T0 = 1_780_000_000_000L;
  private static final long MAX_GAP = 150_000;

  private final Accountant accountant =
      new Accountant("cadvisor:test", MAX_GAP, 3_600_000, LastSamples.NONE, Long.MIN_VALUE);

  private static Reading counter(String id, double value, long ts, double startSeconds) {
    return new Reading(
        Labels.identityOf(id),
        Reading.Kind.COUNTER,
        Resource.CPU,
        "ns",
        "Deployment/web",
        "n1",
        value,
        ts,
        startSeconds);
  }

  private static Reading gauge(String id, double value, long ts, double startSeconds) {
    return new Reading(
        Labels.identityOf(id),
        Reading.Kind.GAUGE,
        Resource.MEMORY,
        "ns",
        "Deployment/web",
        "n1",
        value,
        ts,
        startSeconds);
  }

  /** Accounts and commits one scrape; returns the usage it added. */
  private double scrape(long scrapeMillis, Reading... readings) {
    Ingest ingest = accountant.account(List.of(readings), scrapeMillis);
    accountant.commit(ingest);
    return ingest.usages().stream().mapToDouble(Usage::amount).sum();
  }

  @Test
  void halfACoreForAnHourIs1800CoreSeconds() {
    double total = 0;
    for (int i = 0; i <= 120; i++) {
      long ts = T0 + i * 30_000L;
      total += scrape(ts, counter("c", 1000 + 0.5 * i * 30, ts, Double.NaN));
    }
    assertThat(total).isCloseTo(1800.0, within(1e-9));
  }

  @Test
  void twoHundredFiftySixMibForTwoHoursIsTheTrapezoidIntegral() {
    double total = 0;
    for (int i = 0; i <= 240; i++) {
      long ts = T0 + i * 30_000L;
      total += scrape(ts, gauge("m", 268_435_456, ts, Double.NaN));
    }
    assertThat(total).isEqualTo(268_435_456.0 * 7200);
    assertThat(total).isCloseTo(1.9327e12, within(0.0001e12));
  }

  @Test
  void countersRoundTheirValuesSoDeltasAddUpAlikeHoweverTheSamplesFall() {
    // A CPU counter with ragged values, scraped every 30 s, and the same counter seen by a meter
    // that missed all but the first and last samples: the store keeps thousandths of a
    // core-second, and both count exactly round(last) - round(first) of them.
    Accountant everyScrape =
        new Accountant("cadvisor:test", MAX_GAP, 3_600_000, LastSamples.NONE, Long.MIN_VALUE);
    double value = 1000.00049;
    double steady = 0;
    double last = 0;
    for (int i = 0; i <= 100; i++) {
      long ts = T0 + i * 30_000L;
      value += 0.1234567 + (i % 7) * 0.00031;
      Ingest ingest = everyScrape.account(List.of(counter("c", value, ts, Double.NaN)), ts);
      everyScrape.commit(ingest);
      steady += ingest.usages().stream().mapToDouble(Usage::amount).sum();
      if (i == 0 || i == 100) {
        last = scrape(ts, counter("c", value, ts, Double.NaN));
      }
    }
    double expected =
        (Math.round(value * 1000) - Math.round((1000.00049 + 0.1234567) * 1000)) / 1000.0;
    assertThat(steady).isCloseTo(expected, within(1e-9));
    assertThat(last).isCloseTo(expected, within(1e-9));
  }

  @Test
  void aGaugeCarriesWhatItDidNotCountToItsNextInterval() {
    // 1,000 bytes for 30 s is 30,000 byte-seconds an interval: under a MiB-second, the store's
    // quantum. Rounded each time it would count nothing; carried, two hours of it come out within
    // half a quantum of exact, in whole quanta.
    double total = 0;
    for (int i = 0; i <= 240; i++) {
      long ts = T0 + i * 30_000L;
      total += scrape(ts, gauge("m", 1000, ts, Double.NaN));
    }
    assertThat(total).isCloseTo(1000.0 * 7200, within(0.5 * (1 << 20))).isPositive();
    assertThat(total % (1 << 20)).isZero();
  }

  @Test
  void aCounterResetCountsTheNewValueAsDelta() {
    scrape(T0, counter("c", 100, T0, Double.NaN));
    assertThat(scrape(T0 + 30_000, counter("c", 150, T0 + 30_000, Double.NaN))).isEqualTo(50);
    assertThat(scrape(T0 + 60_000, counter("c", 20, T0 + 60_000, Double.NaN))).isEqualTo(20);
    assertThat(scrape(T0 + 90_000, counter("c", 30, T0 + 90_000, Double.NaN))).isEqualTo(10);
  }

  @Test
  void aPodRestartedUnderTheSameNameIsANewSeriesBilledFromItsStart() {
    String oldId = "cpu{id=\"/kubepods/podAAA/c1\",pod=\"web-0\"}";
    String newId = "cpu{id=\"/kubepods/podBBB/c1\",pod=\"web-0\"}";
    scrape(T0, counter(oldId, 500, T0, 1.0));
    assertThat(scrape(T0 + 30_000, counter(oldId, 510, T0 + 30_000, 1.0))).isEqualTo(10);
    // The new pod started 20 s after the last scrape and used 4 s of CPU by the next one.
    double startSeconds = (T0 + 50_000) / 1000.0;
    assertThat(scrape(T0 + 60_000, counter(newId, 4, T0 + 60_000, startSeconds))).isEqualTo(4);
  }

  @Test
  void aJobContainerSeenInASingleScrapeIsBilled() {
    scrape(T0, counter("other", 1, T0, Double.NaN));
    double start = (T0 + 10_000) / 1000.0;
    Ingest ingest =
        accountant.account(
            List.of(
                counter("job-cpu", 12, T0 + 30_000, start),
                gauge("job-mem", 100 * 1024 * 1024, T0 + 30_000, start)),
            T0 + 30_000);
    Map<Resource, Double> byResource = new java.util.EnumMap<>(Resource.class);
    ingest.usages().forEach(u -> byResource.merge(u.resource(), u.amount(), Double::sum));
    assertThat(byResource.get(Resource.CPU)).isEqualTo(12.0);
    // Held since its start, 20 s before the sample: value × 20 s.
    assertThat(byResource.get(Resource.MEMORY)).isEqualTo(100.0 * 1024 * 1024 * 20);
    Usage cpu = ingest.usages().get(0);
    assertThat(cpu.fromMillis()).isEqualTo(T0 + 10_000);
  }

  @Test
  void aSeriesThatExistedBeforeMeteringIsOnlyABaseline() {
    assertThat(scrape(T0, counter("c", 5000, T0, 1.0), gauge("m", 7, T0, 1.0))).isZero();
    // Started before the previous scrape: its accumulated value is history, not new usage.
    assertThat(scrape(T0 + 30_000, counter("late", 900, T0 + 30_000, T0 / 1000.0 - 5))).isZero();
  }

  @Test
  void gaugeGapsLongerThanMaxGapAreNotIntegratedButCountersCoverThem() {
    scrape(T0, gauge("m", 10, T0, Double.NaN), counter("c", 0, T0, Double.NaN));
    long late = T0 + MAX_GAP + 1;
    Ingest ingest =
        accountant.account(
            List.of(gauge("m", 10, late, Double.NaN), counter("c", 42, late, Double.NaN)), late);
    assertThat(ingest.usages()).extracting(Usage::resource).containsExactly(Resource.CPU);
    assertThat(ingest.usages().get(0).amount()).isEqualTo(42);
    assertThat(ingest.coveredMillis()).isZero();
  }

  @Test
  void samplesNotNewerThanTheLastAreIgnored() {
    scrape(T0, counter("c", 10, T0, Double.NaN));
    assertThat(scrape(T0 + 30_000, counter("c", 20, T0, Double.NaN))).isZero();
    assertThat(scrape(T0 + 60_000, counter("c", 25, T0 + 60_000, Double.NaN))).isEqualTo(15);
  }

  @Test
  void uncommittedScrapesChangeNothing() {
    scrape(T0, counter("c", 10, T0, Double.NaN));
    accountant.account(List.of(counter("c", 20, T0 + 30_000, Double.NaN)), T0 + 30_000);
    // The write failed: the next scrape's delta still starts from the stored 10.
    assertThat(scrape(T0 + 60_000, counter("c", 30, T0 + 60_000, Double.NaN))).isEqualTo(20);
  }

  @Test
  void seriesUnseenForLongerThanTheTtlAreForgotten() {
    scrape(T0, counter("gone", 1, T0, Double.NaN));
    scrape(T0 + 1, counter("kept", 1, T0 + 1, Double.NaN));
    // An hour later "kept" is unseen but within the TTL by a millisecond, "gone" past it.
    Ingest ingest = accountant.account(List.of(counter("x", 1, T0 + 3_600_001, 0)), T0 + 3_600_001);
    assertThat(ingest.series().asMap())
        .containsOnlyKeys(Labels.identityOf("kept"), Labels.identityOf("x"));
  }

  @Test
  void coverageIsTheTimeBetweenScrapesWithinMaxGap() {
    scrape(T0, counter("c", 1, T0, Double.NaN));
    Ingest next = accountant.account(List.of(counter("c", 2, T0 + 30_000, 0)), T0 + 30_000);
    assertThat(next.coveredMillis()).isEqualTo(30_000);
    assertThat(next.previousScrapeMillis()).isEqualTo(T0);
  }
}
