package dev.chargeback.exporter.bench;

import com.sun.net.httpserver.HttpServer;
import dev.chargeback.exporter.harness.Engine;
import dev.chargeback.meter.sim.SimFleet;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Figure 3, live ingest: simulated kubelets (30 containers each, the usual cAdvisor families) on
 * one local HTTP server; the meter, a separate process, scrapes them all every interval. Measured
 * from /proc: CPU seconds per scrape round and resident memory. The reference in the same run is a
 * real Prometheus scraping the same targets at the same interval.
 */
final class IngestBench {
  private static final long TICKS = 100; // USER_HZ on Linux

  /** What one size measured. */
  record Result(
      int nodes,
      double oursCpuPerRound,
      long oursRssBytes,
      double theirsCpuPerRound,
      long theirsRssBytes) {}

  private IngestBench() {}

  /** Serves {@code /node/N/metrics/cadvisor} for N in [0, nodes). */
  static HttpServer kubelets(int nodes) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext(
        "/node/",
        exchange -> {
          String[] parts = exchange.getRequestURI().getPath().split("/");
          int node = Integer.parseInt(parts[2]);
          byte[] body = SimFleet.cadvisor(node, System.currentTimeMillis());
          exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
          exchange.sendResponseHeaders(200, body.length);
          try (OutputStream o = exchange.getResponseBody()) {
            o.write(body);
          }
        });
    server.start();
    return server;
  }

  /** CPU seconds and resident bytes of a process, from /proc. */
  static double cpuSeconds(long pid) throws IOException {
    Path proc = Path.of("/proc/" + pid + "/stat");
    if (!Files.exists(proc)) {
      throw new IOException("process " + pid + " exited");
    }
    String stat = Files.readString(proc);
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) TICKS;
  }

  static long rss(long pid) throws IOException {
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
      }
    }
    return 0;
  }

  /**
   * Rounds before measuring: at least three, and past the meter's first retention run a minute
   * after its start (an hourly task: at 1,000 nodes it took 0.8 CPU s a round of a 20 s window).
   */
  private static int warmup(int intervalSeconds) {
    return Math.max(3, (75 + intervalSeconds - 1) / intervalSeconds);
  }

  /**
   * Rounds measured: at least four, and a minute's worth. Four rounds of 5 s (200 nodes) were 20 s
   * of either process' CPU, and Prometheus' own moved 0.63–0.89 CPU s a round between runs of one
   * hour: a ratio near 1.0 was decided by the window.
   */
  private static int rounds(int intervalSeconds) {
    return Math.max(4, (60 + intervalSeconds - 1) / intervalSeconds);
  }

  /** CPU seconds of each thread of a process, summed by thread name, from /proc. */
  static Map<String, Double> threadSeconds(long pid) throws IOException {
    Map<String, Double> out = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : tasks.toList()) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) TICKS;
          // Numbered pools (rocksdb:low0, C2 CompilerThre) as one.
          out.merge(name.replaceAll("\\d+$", ""), cpu, Double::sum);
        } catch (IOException e) {
          // The thread ended.
        }
      }
    }
    return out;
  }

  /**
   * CPU seconds per round and peak RSS of process {@code pid} over {@code rounds} intervals; where
   * its CPU went, by thread, goes to standard error.
   */
  private static double[] measure(long pid, int intervalSeconds, int warmup, int rounds)
      throws Exception {
    Thread.sleep(warmup * intervalSeconds * 1000L);
    Map<String, Double> threads0 = threadSeconds(pid);
    double cpu0 = cpuSeconds(pid);
    long peak = 0;
    long end = System.currentTimeMillis() + rounds * intervalSeconds * 1000L;
    while (System.currentTimeMillis() < end) {
      if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
        throw new IOException("the measured process " + pid + " exited");
      }
      peak = Math.max(peak, rss(pid));
      Thread.sleep(250);
    }
    double cpu = cpuSeconds(pid) - cpu0;
    Map<String, Double> threads = threadSeconds(pid);
    threads.replaceAll((name, seconds) -> seconds - threads0.getOrDefault(name, 0.0));
    System.err.printf("process %d, CPU s per round by thread:%n", pid);
    threads.entrySet().stream()
        .filter(e -> e.getValue() >= 0.01 * cpu)
        .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
        .forEach(e -> System.err.printf("  %-24s %6.2f%n", e.getKey(), e.getValue() / rounds));
    return new double[] {cpu / rounds, peak};
  }

  static Result run(int nodes, int intervalSeconds, Path jar, Path work) throws Exception {
    HttpServer server = kubelets(nodes);
    Path dir = Files.createDirectories(work.resolve("ingest-" + nodes));
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/node/";
      StringBuilder config = new StringBuilder("targets:\n");
      StringBuilder scrape = new StringBuilder();
      for (int n = 0; n < nodes; n++) {
        config.append("  - cadvisor=").append(base).append(n).append("/metrics/cadvisor\n");
        scrape
            .append(n == 0 ? "" : ", ")
            .append("'127.0.0.1:")
            .append(server.getAddress().getPort())
            .append("'");
      }
      Files.writeString(dir.resolve("meter.yaml"), config);
      List<String> command = new ArrayList<>();
      command.add(ProcessHandle.current().info().command().orElse("java"));
      command.addAll(ClassesBench.JVM);
      String options = System.getenv("CHARGEBACK_BENCH_METER_OPTS");
      if (options != null) {
        // More JVM options for the meter, to compare settings.
        command.addAll(List.of(options.strip().split("\\s+")));
      }
      String profile = System.getenv("CHARGEBACK_BENCH_JFR");
      if (profile != null) {
        // A flight recording of the meter, for what bounds the figure (jfr print).
        command.add(
            "-XX:StartFlightRecording=settings=profile,filename="
                + Path.of(profile).resolve("meter-" + nodes + ".jfr"));
      }
      command.addAll(
          List.of(
              "--enable-native-access=ALL-UNNAMED",
              "-jar",
              jar.toString(),
              "meter",
              "--config",
              dir.resolve("meter.yaml").toString(),
              "--data",
              dir.resolve("data").toString(),
              "--listen",
              "127.0.0.1:0",
              "--kubernetes.discovery",
              "off",
              "--scrape-interval",
              intervalSeconds + "s"));
      ProcessBuilder builder = IngestBench.asTheImageRuns(new ProcessBuilder(command));
      Process meter =
          builder
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("meter.log").toFile())
              .start();
      double[] ours;
      try {
        ours =
            measure(meter.pid(), intervalSeconds, warmup(intervalSeconds), rounds(intervalSeconds));
      } catch (IOException e) {
        String log = Files.readString(dir.resolve("meter.log"));
        throw new IOException(
            "the meter stopped: " + log.substring(Math.max(0, log.length() - 2000)), e);
      } finally {
        meter.destroy();
        meter.waitFor(30, TimeUnit.SECONDS);
      }
      // The same targets for Prometheus: one job whose paths differ by node.
      StringBuilder prom =
          new StringBuilder(
              "global: {scrape_interval: " + intervalSeconds + "s}\nscrape_configs:\n");
      for (int n = 0; n < nodes; n++) {
        prom.append("  - job_name: node-")
            .append(n)
            .append("\n    metrics_path: /node/")
            .append(n)
            .append("/metrics/cadvisor\n    static_configs: [{targets: [")
            .append("'127.0.0.1:")
            .append(server.getAddress().getPort())
            .append("']}]\n");
      }
      double[] theirs;
      try (Engine prometheus = Engine.prometheus(dir.resolve("prometheus"), prom.toString(), dir)) {
        theirs =
            measure(
                prometheus.pid, intervalSeconds, warmup(intervalSeconds), rounds(intervalSeconds));
      }
      return new Result(nodes, ours[0], (long) ours[1], theirs[0], (long) theirs[1]);
    } finally {
      server.stop(0);
    }
  }

  /** Debian's jemalloc, which the image preloads; the bench does too when it is installed. */
  static final Path JEMALLOC = Path.of("/usr/lib/x86_64-linux-gnu/libjemalloc.so.2");

  /** The image's jemalloc settings (Dockerfile): freed pages purged within a second. */
  static final String MALLOC_CONF = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0";

  /**
   * A meter child started with the image's native allocator: jemalloc when installed (glibc's
   * malloc keeps RocksDB's freed blocks resident: 309 MiB against 244 at churn day 30), else glibc
   * with two arenas, as the chart sets.
   */
  static ProcessBuilder asTheImageRuns(ProcessBuilder builder) {
    builder.environment().put("MALLOC_ARENA_MAX", "2");
    if (Files.isReadable(JEMALLOC)) {
      builder.environment().put("LD_PRELOAD", JEMALLOC.toString());
      builder.environment().put("MALLOC_CONF", MALLOC_CONF);
    }
    return builder;
  }

  /** The allocator {@link #asTheImageRuns} gives children here. */
  static String allocator() {
    return Files.isReadable(JEMALLOC) ? "jemalloc" : "glibc malloc (install libjemalloc2)";
  }
}
