package dev.chargeback.exporter.bench;

import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.sim.SimFleet;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The node classes figure's measurement, run in a JVM of its own with the chart's meter settings (a
 * bench JVM's large default heap collects less often than the meter's).
 */
public final class ClassesBench {
  static final int NODES = 200;
  static final int ROUNDS = 12;

  /**
   * The chart's {@code meter.javaOptions}, read from its values.yaml (the benches run from the
   * repository's root), without the exit-on-OOM flag: every bench that runs a meter runs it as the
   * chart does.
   */
  static final List<String> JVM = chartMeterJvm();

  private static List<String> chartMeterJvm() {
    Path values = Path.of("chart", "values.yaml");
    try {
      String options =
          new com.fasterxml.jackson.databind.ObjectMapper(
                  new com.fasterxml.jackson.dataformat.yaml.YAMLFactory())
              .readTree(values.toFile())
              .at("/meter/javaOptions")
              .asText("");
      if (options.isBlank()) {
        throw new IllegalStateException(values.toAbsolutePath() + ": no meter.javaOptions");
      }
      return java.util.Arrays.stream(options.strip().split("\\s+"))
          .filter(o -> !o.equals("-XX:+ExitOnOutOfMemoryError"))
          .toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(
          "cannot read the chart's meter JVM options at " + values.toAbsolutePath(), e);
    }
  }

  private static final String BOOK =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2020-01-01"
          prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
      """;

  private static final String CLASSES =
      BOOK
          + "    nodeClasses:\n"
          + "      - {name: spot, selector: \"karpenter.sh/capacity-type=spot\","
          + " prices: {cpuCoreHour: 15}}\n";

  private ClassesBench() {}

  /** Runs one variant in a child JVM: {CPU seconds per round, milliseconds per bill}. */
  static double[] inChild(boolean labelled, Path dir) throws Exception {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(JVM);
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ClassesBench.class.getName());
    command.add(Boolean.toString(labelled));
    command.add(dir.toString());
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("classes bench child failed: " + out);
    }
    String[] last = out.strip().lines().reduce((a, b) -> b).orElseThrow().split(" ");
    return new double[] {Double.parseDouble(last[0]), Double.parseDouble(last[1])};
  }

  public static void main(String[] args) throws Exception {
    boolean labelled = Boolean.parseBoolean(args[0]);
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    try (RollupStore store =
        new RollupStore(RocksKeyValueStore.openPrimary(Path.of(args[1]), false), utc)) {
      long start = System.currentTimeMillis() / 30_000 * 30_000 - ROUNDS * 30_000L;
      List<Target> kubelets = new ArrayList<>();
      for (int n = 0; n < NODES; n++) {
        String node = "fleet-" + n;
        kubelets.add(Target.of(SourceRole.CADVISOR, URI.create("http://fleet/" + n), node));
        if (labelled) {
          store
              .nodeLabels()
              .record(
                  node,
                  Map.of("karpenter.sh/capacity-type", n % 2 == 0 ? "spot" : "on-demand"),
                  start / 1000 - 60);
        }
      }
      Meter meter =
          new Meter(store, ParserLimits.DEFAULT, new PodDirectory(), Duration.ofMinutes(5));
      long measured = 0;
      for (int r = 0; r <= ROUNDS; r++) {
        long t = start + r * 30_000L;
        long before = threads.getCurrentThreadCpuTime();
        for (int n = 0; n < NODES; n++) {
          meter.ingest(
              kubelets.get(n), new ByteArrayInputStream(SimFleet.cadvisor(n, t)), Format.TEXT, t);
        }
        if (r > 1) { // the first round is a baseline, the second warms up
          measured += threads.getCurrentThreadCpuTime() - before;
        }
      }
      Biller biller =
          new Biller(
              store,
              PriceBookLoader.parse(labelled ? CLASSES : BOOK, "bench"),
              InstantSource.system());
      YearMonth month = YearMonth.now(ZoneId.of("UTC"));
      String ns = SimFleet.namespace(0, 0);
      for (int i = 0; i < 20; i++) {
        biller.bill(ns, month);
      }
      long t0 = System.nanoTime();
      for (int i = 0; i < 100; i++) {
        biller.bill(ns, month);
      }
      System.out.println(
          measured / 1e9 / (ROUNDS - 1) + " " + (System.nanoTime() - t0) / 1e6 / 100);
    }
  }
}
