package dev.chargeback.exporter.role;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.exporter.harness.SimKubelets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A meter process is killed with SIGKILL at random moments and restarted, while a twin meters the
 * same simulated kubelets without interruption. Both must end with the same totals, and both must
 * match the simulator's exact usage: nothing lost, nothing counted twice.
 *
 * <p>What is exact, precisely: counters (CPU, network) whatever the outages, since the first delta
 * after a restart covers the gap; gauges (memory) when every outage is shorter than {@code maxGap},
 * since a longer gap is rightly left unintegrated (DowntimeIT covers that case). So {@code maxGap}
 * here (120 s) exceeds the longest outage this test allows: a kill, at most 10 s to die, and at
 * most 30 s until the restarted meter scraped again. A restart slowed down by a loaded machine then
 * still leaves memory exact, instead of failing the test.
 */
class CrashRecoveryIT {
  private static final int KILLS = 22;

  @TempDir Path dir;

  @Test
  void sigkillAtRandomMomentsLosesNothingAndCountsNothingTwice() throws Exception {
    Path log = dir.resolve("meter.log");
    try (SimKubelets kubelets = new SimKubelets("victim", "twin")) {
      Process twin = startMeter(log, dir.resolve("twin"), kubelets, "twin");
      Process victim = startMeter(log, dir.resolve("victim"), kubelets, "victim");
      try {
        kubelets.awaitScrapes("twin", 6);
        kubelets.awaitScrapes("victim", 6);
        kubelets.clock.release();
        Random random = new Random(20261122);
        for (int i = 0; i < KILLS; i++) {
          // Kill at a random moment of a running meter: mid-scrape, mid-write or idle. Each
          // restart must scrape once before the next kill, so every outage stays within maxGap
          // (kills during start-up would add up into one long gap).
          Thread.sleep(random.nextInt(1500));
          victim.destroyForcibly();
          assertThat(victim.waitFor(10, TimeUnit.SECONDS)).isTrue();
          assertThat(victim.exitValue()).isEqualTo(137);
          int before = kubelets.scrapes("victim");
          victim = startMeter(log, dir.resolve("victim"), kubelets, "victim");
          kubelets.awaitScrapes("victim", before + 3);
        }
        Thread.sleep(3000);
        long end = kubelets.clock.freeze();
        int v = kubelets.scrapes("victim");
        int t = kubelets.scrapes("twin");
        kubelets.awaitScrapes("victim", v + 6);
        kubelets.awaitScrapes("twin", t + 6);
        Thread.sleep(500);
        stop(victim);
        stop(twin);
        kubelets.assertSameAndExact(dir.resolve("victim"), dir.resolve("twin"), end);
        assertThat(Files.readString(log)).doesNotContain("Exception");
      } finally {
        victim.destroyForcibly();
        twin.destroyForcibly();
      }
    }
  }

  private static Process startMeter(Path log, Path data, SimKubelets kubelets, String path)
      throws Exception {
    List<String> args =
        new ArrayList<>(
            List.of(
                "meter",
                "--data",
                data.toString(),
                "--listen",
                "127.0.0.1:0",
                "--scrape-interval",
                "1s",
                "--max-gap",
                "120s"));
    args.addAll(kubelets.targets(path));
    return ChargebackProcess.start(log, args.toArray(String[]::new));
  }

  static void stop(Process p) throws InterruptedException {
    p.destroy();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
  }
}
