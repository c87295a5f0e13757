package dev.chargeback.meter.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.data.Percentage.withPercentage;

import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.store.HourSources;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A meter stopped for three hours and restarted on the same RocksDB: the counters' delta across the
 * gap bills the whole gap (nothing lost), the gauges are not invented for the gap, and the gap is
 * missing from the coverage.
 */
class DowntimeIT {
  @TempDir Path dir;

  private static final long STEP = 30_000;

  private void meter(SimCluster sim, long from, long to) throws Exception {
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(dir.resolve("data"), true),
            new BillingCalendar(ZoneOffset.UTC))) {
      Meter meter =
          new Meter(store, ParserLimits.DEFAULT, new PodDirectory(), Duration.ofMinutes(2));
      for (long t = from; t <= to; t += STEP) {
        for (String node : sim.nodes()) {
          meter.ingest(
              kubelet(node), new ByteArrayInputStream(sim.cadvisor(node, t)), Format.TEXT, t);
        }
      }
    }
  }

  private static Target kubelet(String node) {
    return Target.of(SourceRole.CADVISOR, URI.create("http://sim/" + node), node);
  }

  @Test
  void hoursOfDowntimeAreBilledFromCountersAndMissingFromCoverage() throws Exception {
    SimCluster sim = new SimCluster();
    Target kubelet = kubelet(sim.nodes().get(0));
    long start = ZonedDateTime.parse("2026-11-03T10:00:00Z").toInstant().toEpochMilli();
    long stop = start + 3_600_000L;
    long restart = stop + 3 * 3_600_000L;
    long end = restart + 3_600_000L;

    meter(sim, start, stop); // an hour, then the process is gone for three hours
    meter(sim, restart, end); // the same store, reopened

    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(dir.resolve("data"), true),
            new BillingCalendar(ZoneOffset.UTC))) {
      RollupKey cpu = new RollupKey(Scope.NAMESPACE, "default", "", Resource.CPU);
      RollupKey memory = new RollupKey(Scope.NAMESPACE, "default", "", Resource.MEMORY);
      // Counters: the delta at the first scrape after the restart covers the whole gap.
      double exactCpu = sim.expected("default", Resource.CPU, start, end);
      // Each container's increment is kept to a thousandth of a core-second.
      assertThat(store.totals(Scope.NAMESPACE).get(cpu).sum()).isCloseTo(exactCpu, within(0.05));
      // Gauges: integrated only where the meter was watching (not across the 3-hour gap).
      double watched =
          sim.expected("default", Resource.MEMORY, start, stop)
              + sim.expected("default", Resource.MEMORY, restart, end);
      assertThat(store.totals(Scope.NAMESPACE).get(memory).sum())
          .isCloseTo(watched, withPercentage(0.01));
      double gapHour =
          store.sum(
              Granularity.HOUR, memory, (stop + 3_600_000L) / 1000, (stop + 7_200_000L) / 1000);
      assertThat(gapHour).isZero();
      // Coverage: two watched hours out of five.
      RollupKey covered = new RollupKey(Scope.CLUSTER, kubelet.name(), "", Resource.COVERED);
      assertThat(store.totals(Scope.CLUSTER).get(covered).sum()).isEqualTo(2 * 3600.0);
      assertThat(store.hours().of(stop + 3_600_000L)).isEqualTo(HourSources.LIVE);
    }
  }
}
