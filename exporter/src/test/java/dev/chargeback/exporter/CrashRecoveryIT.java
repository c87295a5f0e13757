package dev.chargeback.exporter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.sim.SimEndpoints;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.usage.Resource;
import dev.chargeback.meter.usage.RollupKey;
import dev.chargeback.meter.usage.Scope;
import io.javalin.Javalin;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A meter process is killed with SIGKILL at random moments and restarted, while a twin meters the
 * same simulated kubelets without interruption. Both must end with the same totals, and both must
 * match the simulator's exact usage: nothing lost, nothing counted twice.
 */
class CrashRecoveryIT {
  private static final List<String> NAMESPACES = List.of("default", "team-a", "team-b");
  private static final int KILLS = 22;

  @TempDir Path dir;

  @Test
  void sigkillAtRandomMomentsLosesNothingAndCountsNothingTwice() throws Exception {
    SimCluster sim = new SimCluster();
    // 40 minutes past an hour: the window holds no CronJob run (:25 to :32), whose final seconds
    // no scrape can see (that loss is the same for both meters but not in the exact usage).
    long start = (System.currentTimeMillis() / 3_600_000L) * 3_600_000L + 40 * 60_000L;
    SimClock clock = new SimClock(start);
    AtomicInteger victimScrapes = new AtomicInteger();
    AtomicInteger twinScrapes = new AtomicInteger();
    Javalin kubelets =
        Javalin.create(
                cfg -> {
                  cfg.startup.showJavalinBanner = false;
                  SimEndpoints.register(cfg, "/victim", sim, counting(clock, victimScrapes));
                  SimEndpoints.register(cfg, "/twin", sim, counting(clock, twinScrapes));
                })
            .start("127.0.0.1", 0);
    String base = "http://127.0.0.1:" + kubelets.port();
    Path log = dir.resolve("meter.log");
    Process twin = startMeter(log, dir.resolve("twin"), base + "/twin", sim);
    Process victim = startMeter(log, dir.resolve("victim"), base + "/victim", sim);
    try {
      awaitScrapes(twinScrapes, 6);
      awaitScrapes(victimScrapes, 6);
      clock.release();
      Random random = new Random(20261122);
      for (int i = 0; i < KILLS; i++) {
        // Kill at a random moment of a running meter: mid-scrape, mid-write or idle. Each
        // restart must scrape once before the next kill, so every outage stays within maxGap
        // (kills during start-up would add up into one long gap).
        Thread.sleep(random.nextInt(1500));
        victim.destroyForcibly();
        assertThat(victim.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(victim.exitValue()).isEqualTo(137);
        int before = victimScrapes.get();
        victim = startMeter(log, dir.resolve("victim"), base + "/victim", sim);
        awaitScrapes(victimScrapes, before + 3);
      }
      Thread.sleep(3000);
      long end = clock.freeze();
      int v = victimScrapes.get();
      int t = twinScrapes.get();
      awaitScrapes(victimScrapes, v + 6);
      awaitScrapes(twinScrapes, t + 6);
      Thread.sleep(500);
      stop(victim);
      stop(twin);

      BillingCalendar calendar = new BillingCalendar(ZoneId.of("UTC"));
      try (RollupStore a = open(dir.resolve("victim"), calendar);
          RollupStore b = open(dir.resolve("twin"), calendar)) {
        for (String ns : NAMESPACES) {
          for (Resource r :
              List.of(
                  Resource.CPU,
                  Resource.NETWORK_RECEIVE,
                  Resource.NETWORK_TRANSMIT,
                  Resource.MEMORY)) {
            double killed = a.totals(Scope.NAMESPACE).get(RollupKey.namespace(ns, r)).sum();
            double steady = b.totals(Scope.NAMESPACE).get(RollupKey.namespace(ns, r)).sum();
            double exact = sim.expected(ns, r, start, end);
            System.out.printf(
                "%-8s %-17s killed %.9e  uninterrupted %.9e  exact %.9e%n",
                ns, r.label, killed, steady, exact);
            assertThat(relative(killed, steady))
                .as(ns + " " + r + " killed vs twin")
                .isLessThan(1e-9);
            assertThat(relative(steady, exact)).as(ns + " " + r + " vs exact").isLessThan(1e-6);
          }
        }
      }
      assertThat(Files.readString(log)).doesNotContain("Exception");
    } finally {
      victim.destroyForcibly();
      twin.destroyForcibly();
      kubelets.stop();
    }
  }

  private static double relative(double a, double b) {
    return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
  }

  private static InstantSource counting(SimClock clock, AtomicInteger scrapes) {
    return () -> {
      scrapes.incrementAndGet();
      return clock.instant();
    };
  }

  private static Process startMeter(Path log, Path data, String base, SimCluster sim)
      throws Exception {
    return ChargebackProcess.start(
        log,
        "meter",
        "--data",
        data.toString(),
        "--listen",
        "127.0.0.1:0",
        "--scrape-interval",
        "1s",
        "--max-gap",
        "10s",
        "--target",
        "cadvisor=" + base + "/" + sim.nodes().get(0) + "/metrics/cadvisor",
        "--target",
        "cadvisor=" + base + "/" + sim.nodes().get(1) + "/metrics/cadvisor",
        "--target",
        "kube-state-metrics=" + base + "/kube-state-metrics/metrics");
  }

  private static void awaitScrapes(AtomicInteger scrapes, int atLeast) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (scrapes.get() < atLeast) {
      assertThat(System.currentTimeMillis()).as("scrapes to reach " + atLeast).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static void stop(Process p) throws InterruptedException {
    p.destroy();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
  }

  private static RollupStore open(Path data, BillingCalendar calendar) {
    return new RollupStore(RocksKeyValueStore.openPrimary(data, false), calendar);
  }
}
