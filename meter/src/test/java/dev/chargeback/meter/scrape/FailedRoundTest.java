package dev.chargeback.meter.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;

import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.store.InstrumentedKeyValueStore;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * An {@code Error} (out of memory, say) strikes a scrape after its batch landed in the store but
 * before the meter heard so, or strikes retention the same way. The round is counted as failed, the
 * next rounds meter, and the totals equal an undisturbed twin's: nothing counted twice, no stale
 * sum written back.
 */
class FailedRoundTest {
  private static final long STEP = 30_000;
  private final SimCluster sim = new SimCluster();
  private final long start = ZonedDateTime.parse("2026-11-03T10:00:00Z").toInstant().toEpochMilli();

  /** One meter over a store, with a loop that scrapes the simulated node on demand. */
  private final class Rig {
    final AtomicLong now = new AtomicLong(start);
    final InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    final InstrumentedKeyValueStore kv = new InstrumentedKeyValueStore(new MemoryKeyValueStore());
    final RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));
    final Meter meter =
        new Meter(store, ParserLimits.DEFAULT, new PodDirectory(), Duration.ofMinutes(2));
    final ScrapeLoop loop =
        new ScrapeLoop(
            meter,
            new Scraper(
                Duration.ofSeconds(5), Map.of(Target.Access.PLAIN, new SimTransport(sim, clock))),
            clock,
            Duration.ofSeconds(30));
    final List<Target> kubelets =
        sim.nodes().stream()
            .map(n -> Target.of(SourceRole.CADVISOR, SimTransport.url(n), n))
            .toList();

    void scrapeAt(long millis) {
      now.set(millis);
      kubelets.forEach(loop::scrapeOnce);
    }

    double total(Resource r) {
      return store.totals(Scope.NAMESPACE).get(RollupKey.namespace("default", r)).sum();
    }

    double hour(Resource r, long hourStart) {
      return store.sum(
          Granularity.HOUR,
          RollupKey.namespace("default", r),
          hourStart / 1000,
          (hourStart + 3_600_000) / 1000);
    }
  }

  @Test
  void anErrorAfterTheScrapesWriteLandedLosesNothingAndCountsNothingTwice() {
    Rig twin = new Rig();
    Rig struck = new Rig();
    long end = start + 2 * 3_600_000L;
    for (long t = start; t <= end; t += STEP) {
      twin.scrapeAt(t);
      if (t == start + 40 * STEP) {
        struck.kv.failNextWriteAfterItLands(new OutOfMemoryError("injected"));
      }
      struck.scrapeAt(t); // never throws: the loop goes on
    }
    assertThat(struck.kv.struck()).isTrue();
    assertThat(struck.loop.errors()).containsEntry(struck.kubelets.get(0).name(), 1L);
    for (Resource r : List.of(Resource.CPU, Resource.MEMORY, Resource.NETWORK_RECEIVE)) {
      assertThat(struck.total(r)).as("%s total", r).isCloseTo(twin.total(r), withPercentage(1e-9));
      assertThat(struck.hour(r, start))
          .as("%s first hour", r)
          .isCloseTo(twin.hour(r, start), withPercentage(1e-9));
    }
    // Each container's increment is kept to a thousandth of a core-second: some 3 in a million of
    // the total here.
    assertThat(twin.total(Resource.CPU))
        .isCloseTo(sim.expected("default", Resource.CPU, start, end), withPercentage(1e-3));
  }

  @Test
  void anErrorAfterRetentionsWriteLandedLeavesLaterRollupsExact() {
    Rig twin = new Rig();
    Rig struck = new Rig();
    long end = start + 3 * 3_600_000L;
    Map<Granularity, Duration> retention = Map.of(Granularity.FIVE_MINUTES, Duration.ofHours(1));
    for (long t = start; t <= end; t += STEP) {
      twin.scrapeAt(t);
      struck.scrapeAt(t);
      if ((t - start) % 3_600_000L == 0 && t > start) {
        twin.meter.expire(t, retention);
        struck.kv.failNextWriteAfterItLands(new OutOfMemoryError("injected"));
        try {
          struck.meter.expire(t, retention);
        } catch (OutOfMemoryError expected) {
          // the retention task counts it and runs again next hour (PeriodicTaskTest)
        }
      }
    }
    for (Resource r : List.of(Resource.CPU, Resource.MEMORY)) {
      assertThat(struck.total(r)).isCloseTo(twin.total(r), withPercentage(1e-9));
      long lastHour = start + 2 * 3_600_000L;
      assertThat(struck.hour(r, lastHour)).isCloseTo(twin.hour(r, lastHour), withPercentage(1e-9));
      double fiveMinutes =
          struck.store.sum(
              Granularity.FIVE_MINUTES,
              RollupKey.namespace("default", r),
              lastHour / 1000,
              (lastHour + 3_600_000) / 1000);
      assertThat(fiveMinutes).isCloseTo(twin.hour(r, lastHour), withPercentage(1e-6));
    }
  }
}
