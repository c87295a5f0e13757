package dev.chargeback.exporter.harness;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.sim.SimEndpoints;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import io.javalin.Javalin;
import java.nio.file.Path;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simulated cluster's kubelets over HTTP, for meter processes under test: each meter scrapes
 * its own path, whose scrapes are counted, so a test can compare a disturbed meter with an
 * undisturbed twin. Simulated time stands still until {@link SimClock#release released}.
 */
public final class SimKubelets implements AutoCloseable {
  public static final List<String> NAMESPACES = List.of("default", "team-a", "team-b");

  public final SimCluster sim = new SimCluster();

  /**
   * 40 minutes past an hour: the window holds no CronJob run (:25 to :32), whose final seconds no
   * scrape can see (that loss is the same for every meter but not in the exact usage).
   */
  public final long start = (System.currentTimeMillis() / 3_600_000L) * 3_600_000L + 40 * 60_000L;

  public final SimClock clock = new SimClock(start);
  private final Map<String, AtomicInteger> scrapes = new LinkedHashMap<>();
  private final Javalin server;

  public SimKubelets(String... paths) {
    for (String p : paths) {
      scrapes.put(p, new AtomicInteger());
    }
    server =
        Javalin.create(
                cfg -> {
                  cfg.startup.showJavalinBanner = false;
                  scrapes.forEach(
                      (p, n) ->
                          SimEndpoints.register(
                              cfg,
                              "/" + p,
                              sim,
                              () -> {
                                n.incrementAndGet();
                                return clock.instant();
                              }));
                })
            .start("127.0.0.1", 0);
  }

  /** The {@code --target} flags of {@code path}: two kubelets and kube-state-metrics. */
  public List<String> targets(String path) {
    String base = "http://127.0.0.1:" + server.port() + "/" + path;
    List<String> flags = new ArrayList<>();
    for (String node : sim.nodes().subList(0, 2)) {
      flags.addAll(List.of("--target", "cadvisor=" + base + "/" + node + "/metrics/cadvisor"));
    }
    flags.addAll(List.of("--target", "kube-state-metrics=" + base + "/kube-state-metrics/metrics"));
    return flags;
  }

  public int scrapes(String path) {
    return scrapes.get(path).get();
  }

  /** Waits (at most 30 s) until {@code path} has been scraped {@code atLeast} times. */
  public void awaitScrapes(String path, int atLeast) throws InterruptedException {
    long deadline = System.currentTimeMillis() + 30_000;
    while (scrapes(path) < atLeast) {
      assertThat(System.currentTimeMillis())
          .as(path + " scrapes to reach " + atLeast)
          .isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /**
   * Asserts that the stopped meters' stores in {@code data} and {@code twin} hold the same totals
   * per namespace (counters and memory), and that the twin's equal the simulator's exact usage from
   * {@link #start} to {@code end}: nothing lost, nothing counted twice.
   */
  public void assertSameAndExact(Path data, Path twin, long end) {
    BillingCalendar calendar = new BillingCalendar(ZoneId.of("UTC"));
    try (RollupStore a = open(data, calendar);
        RollupStore b = open(twin, calendar)) {
      for (String ns : NAMESPACES) {
        for (Resource r :
            List.of(
                Resource.CPU,
                Resource.NETWORK_RECEIVE,
                Resource.NETWORK_TRANSMIT,
                Resource.MEMORY)) {
          double disturbed = a.totals(Scope.NAMESPACE).get(RollupKey.namespace(ns, r)).sum();
          double steady = b.totals(Scope.NAMESPACE).get(RollupKey.namespace(ns, r)).sum();
          double exact = sim.expected(ns, r, start, end);
          System.out.printf(
              "%-8s %-17s disturbed %.9e  undisturbed %.9e  exact %.9e%n",
              ns, r.label, disturbed, steady, exact);
          assertThat(relative(disturbed, steady))
              .as(ns + " " + r + " disturbed vs twin")
              .isLessThan(1e-9);
          // The store keeps whole quanta (a thousandth of a core-second, a MiB-second, a byte):
          // each container's series ends within one of exact.
          assertThat(Math.abs(steady - exact))
              .as(ns + " " + r + " vs exact")
              .isLessThanOrEqualTo(Math.max(1e-6 * Math.abs(exact), r.amount(20)));
        }
      }
    }
  }

  private static double relative(double a, double b) {
    return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
  }

  private static RollupStore open(Path data, BillingCalendar calendar) {
    return new RollupStore(RocksKeyValueStore.openPrimary(data, false), calendar);
  }

  @Override
  public void close() {
    server.stop();
  }
}
