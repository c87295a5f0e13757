package dev.chargeback.exporter.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.assertj.core.data.Percentage.withPercentage;

import com.sun.net.httpserver.HttpServer;
import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.exporter.harness.SimClock;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.sim.SimFleet;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.Rollup;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A meter under the bench's heavy load (200 kubelets of 30 containers, ~400 KB each) gets SIGTERM
 * at random moments, mid-scrape and mid-write, 20 times, while an undisturbed twin meters the same
 * kubelets. Every stop is orderly (exit status 0 or 143, no JVM crash log), and the counters it
 * billed are exactly the twin's and the closed-form truth: shutdown loses nothing and counts
 * nothing twice.
 */
class SigtermUnderLoadIT {
  private static final int NODES = 200;
  private static final int STOPS = 20;

  @TempDir Path dir;

  private final SimClock clock = new SimClock(System.currentTimeMillis() / 1000 * 1000);
  private final Map<String, AtomicInteger> scrapes = new ConcurrentHashMap<>();

  /** Requests per meter and node ({@code victim/17}). */
  private final Map<String, AtomicInteger> nodeScrapes = new ConcurrentHashMap<>();

  private HttpServer kubelets() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 512);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(
        "/",
        exchange -> {
          // /{meter}/{node}/metrics/cadvisor
          String[] parts = exchange.getRequestURI().getPath().split("/");
          scrapes.computeIfAbsent(parts[1], k -> new AtomicInteger()).incrementAndGet();
          byte[] body = SimFleet.cadvisor(Integer.parseInt(parts[2]), clock.millis());
          exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream o = exchange.getResponseBody()) {
            o.write(body);
          } catch (IOException e) {
            // the meter went away mid-body (it was stopped): its scrape is abandoned
            return;
          }
          // Counted per kubelet once served whole: a request the meter abandoned (stopped, or
          // timed out on a loaded machine) delivers no sample, and the wait after the freeze
          // below must count samples the meter could store.
          nodeScrapes
              .computeIfAbsent(parts[1] + "/" + parts[2], k -> new AtomicInteger())
              .incrementAndGet();
        });
    server.start();
    return server;
  }

  private Path config(HttpServer server, String meter) throws Exception {
    StringBuilder yaml = new StringBuilder("targets:\n");
    for (int n = 0; n < NODES; n++) {
      yaml.append("  - cadvisor=http://127.0.0.1:")
          .append(server.getAddress().getPort())
          .append('/')
          .append(meter)
          .append('/')
          .append(n)
          .append("/metrics/cadvisor\n");
    }
    Path file = dir.resolve(meter + ".yaml");
    Files.writeString(file, yaml);
    return file;
  }

  private Process start(String meter, Path config) throws Exception {
    return ChargebackProcess.start(
        dir.resolve(meter + ".log"),
        "meter",
        "--config",
        config.toString(),
        "--data",
        dir.resolve(meter).toString(),
        "--listen",
        "127.0.0.1:0",
        "--kubernetes.discovery",
        "off",
        "--scrape-interval",
        "5s");
  }

  private int scrapesOf(String meter) {
    return scrapes.computeIfAbsent(meter, k -> new AtomicInteger()).get();
  }

  private void awaitScrapes(String meter, int atLeast) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (scrapesOf(meter) < atLeast) {
      assertThat(System.nanoTime()).as(meter + " scrapes to reach " + atLeast).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private void awaitEveryKubelet(String meter, Map<String, Integer> since, int more)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    for (int n = 0; n < NODES; n++) {
      String key = meter + "/" + n;
      int target = since.getOrDefault(key, 0) + more;
      while (nodeScrapes.computeIfAbsent(key, k -> new AtomicInteger()).get() < target) {
        assertThat(System.nanoTime()).as(key + " scrapes to reach " + target).isLessThan(deadline);
        Thread.sleep(50);
      }
    }
  }

  @Test
  void sigtermAtRandomMomentsUnderLoadStopsCleanlyAndLosesNothing() throws Exception {
    HttpServer server = kubelets();
    Process twin = start("twin", config(server, "twin"));
    Path victimConfig = config(server, "victim");
    Process victim = start("victim", victimConfig);
    try {
      // Every kubelet scraped once at the start instant, by both meters.
      awaitScrapes("twin", NODES);
      awaitScrapes("victim", NODES);
      long from = clock.millis();
      clock.release();
      Random random = new Random(20261201);
      for (int i = 0; i < STOPS; i++) {
        // Stop while scrapes flow: wait for some after the (re)start, then a random moment.
        awaitScrapes("victim", scrapesOf("victim") + 20);
        Thread.sleep(random.nextInt(1000));
        victim.destroy();
        assertThat(victim.waitFor(60, TimeUnit.SECONDS)).as("stop %d ends", i).isTrue();
        assertThat(victim.exitValue()).as("stop %d exit status", i).isIn(0, 143);
        victim = start("victim", victimConfig);
      }
      // Freeze time; then every kubelet serves three more whole scrapes to each meter, so both
      // store the same last samples even if the very last scrape is cut by the stop. (Counting
      // requests overall was not enough: a meter restarted just before the freeze scrapes some
      // kubelets more often than others while its loops settle, and one kubelet's only
      // post-freeze scrape could be the one the stop cut, leaving a sample from before.)
      long to = clock.freeze();
      Map<String, Integer> frozen = new java.util.HashMap<>();
      nodeScrapes.forEach((k, n) -> frozen.put(k, n.get()));
      awaitEveryKubelet("victim", frozen, 3);
      awaitEveryKubelet("twin", frozen, 3);
      victim.destroy();
      twin.destroy();
      assertThat(victim.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(twin.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(victim.exitValue()).isIn(0, 143);

      try (Stream<Path> files = Files.list(dir)) {
        assertThat(files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList())
            .as("JVM crash logs")
            .isEmpty();
      }
      assertThat(Files.readString(dir.resolve("victim.log")))
          .doesNotContain("SIGSEGV")
          .doesNotContain("is closed");
      assertCountersExact(from, to);
    } finally {
      victim.destroyForcibly();
      twin.destroyForcibly();
      server.stop(0);
    }
  }

  /** CPU and network of every namespace: the victim's equal the twin's and the truth. */
  private void assertCountersExact(long from, long to) {
    BillingCalendar utc = new BillingCalendar(ZoneOffset.UTC);
    try (RollupStore victim =
            new RollupStore(RocksKeyValueStore.openPrimary(dir.resolve("victim"), false), utc);
        RollupStore twin =
            new RollupStore(RocksKeyValueStore.openPrimary(dir.resolve("twin"), false), utc)) {
      Map<RollupKey, Rollup> v = victim.totals(Scope.NAMESPACE);
      Map<RollupKey, Rollup> t = twin.totals(Scope.NAMESPACE);
      int compared = 0;
      for (int n = 0; n < SimFleet.NAMESPACES; n++) {
        String ns = String.format("team-%03d", n);
        double exact = SimFleet.cpuSeconds(ns, NODES, from, to);
        if (exact == 0) {
          continue;
        }
        for (Resource r : List.of(Resource.CPU, Resource.NETWORK_RECEIVE)) {
          RollupKey key = RollupKey.namespace(ns, r);
          assertThat(v).as(ns + " " + r).containsKey(key);
          assertThat(v.get(key).sum())
              .as(ns + " " + r + " stopped 20 times vs twin")
              .isCloseTo(t.get(key).sum(), withPercentage(1e-7));
        }
        // Each container's CPU counter is kept to a thousandth of a core-second.
        assertThat(t.get(RollupKey.namespace(ns, Resource.CPU)).sum())
            .as(ns + " CPU vs the closed form")
            .isCloseTo(exact, within(0.001 * NODES * SimFleet.CONTAINERS_PER_NODE));
        compared++;
      }
      assertThat(compared).isEqualTo(SimFleet.NAMESPACES);
    }
  }
}
