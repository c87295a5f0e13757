package dev.chargeback.exporter.bench;

import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.sim.SimChurn;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Pod churn over a month: 100,000 new pods a day, each a unique workload living an hour, on 20
 * kubelets (about 4,200 pods alive at any time). In a JVM bounded as the chart bounds the meter,
 * the same meter code meters live rounds at day 1, then a month of history is stored as live
 * metering would have stored it, retention runs, and live rounds are metered again at day 30. CPU
 * per round and resident memory at day 30 against day 1 (the reference in the same run) say whether
 * the meter's cost grows with history.
 */
final class ChurnBench {
  static final int PODS_PER_DAY = 100_000;
  static final int NODES = 20;
  private static final long HOUR = 3_600_000L;
  private static final long DAY = 24 * HOUR;
  private static final long STEP = 30_000;
  private static final int WARMUP = 10;
  private static final int MEASURED = 20;
  private static final int FILL_PART = 100_000;

  /** What the month cost. */
  record Result(
      double cpuDay1,
      long rssDay1,
      double cpuDay30,
      long rssDay30,
      double retentionSeconds,
      double fillSeconds,
      long storeBytes) {}

  private ChurnBench() {}

  /**
   * Runs the month in child JVMs on this JVM's classpath (the bench's): day 1 on an empty store and
   * day 30 on a month-old one, each in a JVM bounded as the chart's meter; the month in between is
   * stored by a JVM with room to spare, since only the meter's own cost is measured.
   */
  static Result run(Path work) throws Exception {
    Path dir = Files.createDirectories(work.resolve("churn"));
    long epoch = System.currentTimeMillis() / HOUR * HOUR - 30 * DAY;
    String[] day1 = child(dir, ClassesBench.JVM, "day1", dir.resolve("fresh"), epoch);
    String[] fill = child(dir, List.of("-Xmx1g"), "fill", dir.resolve("month"), epoch);
    String[] day30 = child(dir, ClassesBench.JVM, "day30", dir.resolve("month"), epoch);
    return new Result(
        Double.parseDouble(day1[0]),
        Long.parseLong(day1[1]),
        Double.parseDouble(day30[0]),
        Long.parseLong(day30[1]),
        Double.parseDouble(day30[2]),
        Double.parseDouble(fill[0]),
        Long.parseLong(day30[3]));
  }

  /** Runs one phase in a child JVM; returns the numbers of its {@code CHURN} line. */
  private static String[] child(Path dir, List<String> jvm, String phase, Path data, long epoch)
      throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(jvm);
    String nmt = System.getenv("CHARGEBACK_BENCH_NMT");
    if (nmt != null && phase.equals("day30")) {
      command.add("-XX:NativeMemoryTracking=summary");
      command.add("-Dchurn.nmt=" + nmt);
    }
    command.addAll(
        List.of(
            "--enable-native-access=ALL-UNNAMED",
            "-cp",
            System.getProperty("java.class.path"),
            ChurnBench.class.getName(),
            phase,
            data.toString(),
            String.valueOf(epoch)));
    ProcessBuilder builder = IngestBench.asTheImageRuns(new ProcessBuilder(command));
    Path log = dir.resolve(phase + ".log");
    Process p = builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(60, TimeUnit.MINUTES) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("the churn phase " + phase + " failed: " + Files.readString(log));
    }
    String line =
        Files.readAllLines(log).stream()
            .filter(l -> l.startsWith("CHURN "))
            .findFirst()
            .orElseThrow(() -> new IOException("no result in " + log));
    return line.substring("CHURN ".length()).split(" ");
  }

  /**
   * A phase: {@code ChurnBench day1|fill|day30 DATA_DIR EPOCH_MILLIS}; prints one {@code CHURN …}
   * line.
   */
  public static void main(String[] args) throws Exception {
    String phase = args[0];
    long epoch = Long.parseLong(args[2]);
    long pid = ProcessHandle.current().pid();
    // Pods began an hour before the month, so the first round sees as many as any other.
    SimChurn churn = new SimChurn(epoch - HOUR, PODS_PER_DAY, 3600, NODES);
    AtomicLong now = new AtomicLong(epoch);
    InstantSource clock = () -> Instant.ofEpochMilli(now.get());
    Map<Granularity, Duration> retention =
        Map.of(
            Granularity.FIVE_MINUTES, Duration.ofDays(8),
            Granularity.HOUR, Duration.ofDays(100),
            Granularity.DAY, Duration.ofDays(3650));
    RocksKeyValueStore kv = RocksKeyValueStore.openPrimary(Path.of(args[1]), true);
    try (RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC))) {
      store.retain(retention, clock);
      Meter meter =
          new Meter(store, ParserLimits.DEFAULT, new PodDirectory(), Duration.ofSeconds(150));
      switch (phase) {
        case "day1" -> {
          double[] r = rounds(meter, churn, "day1", epoch, now, pid);
          memory(kv, pid);
          System.out.printf(Locale.ROOT, "CHURN %.4f %d%n", r[0], (long) r[1]);
        }
        case "fill" -> {
          // Days 1 to 29 as metering stored them: per hour, every pod's usage; with the clock at
          // day 29, 5-minute buckets only for the last 8 days (retention took the rest).
          now.set(epoch + 29 * DAY);
          long start = System.nanoTime();
          for (long h = epoch; h < epoch + 29 * DAY; h += HOUR) {
            List<Usage> hour = churn.usage(h, h + HOUR);
            for (int from = 0; from < hour.size(); from += FILL_PART) {
              List<Usage> part = hour.subList(from, Math.min(hour.size(), from + FILL_PART));
              if (from == 0) {
                store.applyImported(h, part);
              } else {
                store.appendImported(h, part);
              }
            }
          }
          kv.flush();
          System.out.printf(Locale.ROOT, "CHURN %.1f%n", (System.nanoTime() - start) / 1e9);
        }
        default -> {
          now.set(epoch + 29 * DAY);
          long start = System.nanoTime();
          meter.expire(now.get(), retention);
          double retentionSeconds = (System.nanoTime() - start) / 1e9;
          double[] r = rounds(meter, churn, "day30", epoch + 29 * DAY, now, pid);
          nativeMemory(pid);
          memory(kv, pid);
          kv.flush();
          System.out.printf(
              Locale.ROOT,
              "CHURN %.4f %d %.3f %d%n",
              r[0],
              (long) r[1],
              retentionSeconds,
              kv.sstBytes());
        }
      }
    }
  }

  /** Where resident memory goes: the kernel's split and RocksDB's own account, one MEM line. */
  private static void memory(RocksKeyValueStore kv, long pid) throws IOException {
    StringBuilder line = new StringBuilder("MEM");
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("RssAnon:") || l.startsWith("RssFile:") || l.startsWith("VmRSS:")) {
        line.append(' ').append(l.replaceAll("\\s+", " "));
      }
    }
    kv.memory()
        .forEach((k, v) -> line.append(' ').append(k).append('=').append(v >> 20).append("MiB"));
    System.out.println(line);
  }

  /**
   * Where the day-30 child's resident memory goes, when the bench runs with {@code
   * CHARGEBACK_BENCH_NMT=FILE}: the child then runs with Native Memory Tracking and writes its
   * summary to FILE.
   */
  private static void nativeMemory(long pid) throws Exception {
    String file = System.getProperty("churn.nmt");
    if (file == null) {
      return;
    }
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "VM.native_memory", "summary")
        .redirectErrorStream(true)
        .redirectOutput(Path.of(file).toFile())
        .start()
        .waitFor(60, TimeUnit.SECONDS);
  }

  /** CPU seconds per round and peak RSS of live rounds from {@code start}, after a warm-up. */
  private static double[] rounds(
      Meter meter, SimChurn churn, String phase, long start, AtomicLong now, long pid)
      throws Exception {
    List<Target> kubelets = new ArrayList<>();
    for (int n = 0; n < NODES; n++) {
      kubelets.add(
          Target.of(
              SourceRole.CADVISOR, URI.create("http://" + phase + "/node-" + n), "node-" + n));
    }
    double cpu0 = 0;
    long peak = 0;
    for (int r = 0; r < WARMUP + MEASURED; r++) {
      if (r == WARMUP) {
        cpu0 = IngestBench.cpuSeconds(pid);
      }
      long t = start + r * STEP;
      now.set(t);
      for (int n = 0; n < NODES; n++) {
        meter.ingest(
            kubelets.get(n), new ByteArrayInputStream(churn.cadvisor(n, t)), Format.TEXT, t);
      }
      long rss = IngestBench.rss(pid);
      System.out.printf(Locale.ROOT, "ROUND %s %d rss %d MiB%n", phase, r, rss >> 20);
      if (r >= WARMUP) {
        peak = Math.max(peak, rss);
      }
    }
    return new double[] {(IngestBench.cpuSeconds(pid) - cpu0) / MEASURED, peak};
  }
}
