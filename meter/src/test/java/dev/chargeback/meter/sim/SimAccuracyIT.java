package dev.chargeback.meter.sim;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.Target;
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
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Meters 26 hours of the simulated cluster at 30-second scrapes (through the real parser and a real
 * RocksDB) and compares the rollups with the cluster's exact, closed-form usage.
 */
class SimAccuracyIT {
  @TempDir Path dir;

  @Test
  void rollupsMatchKnownUsageWithinATenthOfAPercent() throws Exception {
    SimCluster sim = new SimCluster();
    BillingCalendar calendar = new BillingCalendar(ZoneId.of("Asia/Seoul"));
    long start = ZonedDateTime.parse("2026-11-03T13:00:10Z").toInstant().toEpochMilli();
    long end = start + 26 * 3_600_000L;
    try (RollupStore store =
        new RollupStore(RocksKeyValueStore.openPrimary(dir.resolve("data"), false), calendar)) {
      PodDirectory pods = new PodDirectory();
      Meter meter = new Meter(store, ParserLimits.DEFAULT, pods, Duration.ofSeconds(150));
      List<Target> kubelets = new ArrayList<>();
      for (String node : sim.nodes()) {
        kubelets.add(Target.of(SourceRole.CADVISOR, URI.create("http://sim/" + node), node));
      }
      Target ksm = Target.of(SourceRole.KUBE_STATE_METRICS, URI.create("http://sim/ksm"), "");
      Target dcgm = Target.of(SourceRole.DCGM, URI.create("http://sim/dcgm"), sim.gpuNode());
      for (long t = start; t <= end; t += 30_000) {
        meter.ingest(ksm, new ByteArrayInputStream(sim.kubeStateMetrics(t)), Format.TEXT, t);
        for (Target k : kubelets) {
          meter.ingest(k, new ByteArrayInputStream(sim.cadvisor(k.node(), t)), Format.TEXT, t);
        }
        meter.ingest(dcgm, new ByteArrayInputStream(sim.dcgm(dcgm.node(), t)), Format.TEXT, t);
      }
      // GPUs: ml's requested device-seconds (a MIG slice always, the A100 from 10:00 to 22:00)
      // and its utilisation-weighted seconds from dcgm-exporter.
      for (Resource r : List.of(Resource.REQUEST_GPU, Resource.GPU)) {
        double expected = sim.expected("ml", r, start, end);
        double total = store.totals(Scope.NAMESPACE).get(RollupKey.namespace("ml", r)).sum();
        System.out.printf(
            "%-8s %-17s expected %.6e metered %.6e error %+.5f%%%n",
            "ml", r.label, expected, total, 100 * (total - expected) / expected);
        assertThat(expected).isPositive();
        assertThat(Math.abs(total - expected) / expected).as("ml " + r).isLessThan(0.001);
      }
      for (String ns : List.of("default", "team-a", "team-b")) {
        for (Resource r :
            List.of(
                Resource.CPU,
                Resource.MEMORY,
                Resource.NETWORK_RECEIVE,
                Resource.NETWORK_TRANSMIT)) {
          double expected = sim.expected(ns, r, start, end);
          double total = store.totals(Scope.NAMESPACE).get(RollupKey.namespace(ns, r)).sum();
          double days =
              store.sum(Granularity.DAY, RollupKey.namespace(ns, r), 0, Long.MAX_VALUE / 2);
          double hours =
              store.sum(Granularity.HOUR, RollupKey.namespace(ns, r), 0, Long.MAX_VALUE / 2);
          System.out.printf(
              "%-8s %-17s expected %.6e metered %.6e error %+.5f%%%n",
              ns, r.label, expected, total, 100 * (total - expected) / expected);
          assertThat(expected).isPositive();
          assertThat(Math.abs(total - expected) / expected).as(ns + " " + r).isLessThan(0.001);
          assertThat(Math.abs(days - total) / total).isLessThan(1e-9);
          assertThat(Math.abs(hours - total) / total).isLessThan(1e-9);
        }
      }
      // Host-network pods (kube-proxy) are never billed network.
      assertThat(store.totals(Scope.NAMESPACE))
          .doesNotContainKey(RollupKey.namespace("kube-system", Resource.NETWORK_RECEIVE));
      // The CronJob's short-lived pods land on their workload.
      assertThat(store.totals(Scope.WORKLOAD))
          .containsKey(RollupKey.workload("team-b", "CronJob/report", Resource.CPU));
      // Storage from kube-state-metrics: 20 GiB held for 26 h.
      double storage =
          store.totals(Scope.NAMESPACE).get(RollupKey.namespace("team-a", Resource.STORAGE)).sum();
      assertThat(storage).isEqualTo(20.0 * (1L << 30) * 26 * 3600);
    }
  }
}
