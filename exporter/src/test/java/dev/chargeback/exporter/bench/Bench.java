package dev.chargeback.exporter.bench;

import dev.chargeback.exporter.metrics.BillingMetrics;
import dev.chargeback.exporter.metrics.HealthCollector;
import dev.chargeback.exporter.metrics.MetricsPage;
import dev.chargeback.exporter.web.Money;
import dev.chargeback.exporter.web.Overview;
import dev.chargeback.exporter.web.Viewer;
import dev.chargeback.exporter.web.WebRoutes;
import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillArchive;
import dev.chargeback.meter.bill.BillCsv;
import dev.chargeback.meter.bill.BillJson;
import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.exposition.ExpositionParser;
import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.price.SharedCost;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.sim.SimFleet;
import dev.chargeback.meter.sim.SimReplay;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.Selection;
import dev.chargeback.meter.usage.SourceRole;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Prints one table: for each figure our median, a reference measured in the same run, and the
 * ratio. Not part of chargeback.jar: {@code ./mvnw -B -q package -DskipTests -Pbench} runs it on
 * the test classpath, with {@code -Dbench.args="--figures churn,ingest --capture FILE"}; the
 * capture defaults to the kubelet 1.35 fixture in the repository, and the processes it measures run
 * the freshly built chargeback.jar ({@code --jar}).
 */
public final class Bench {
  private final PrintStream out;
  private final Path jar;
  private final List<String[]> rows = new ArrayList<>();

  private Bench(PrintStream out, Path jar) {
    this.out = out;
    this.jar = jar;
  }

  /** {@code Bench [--capture FILE] [--figures a,b] [--jar chargeback.jar]}. */
  public static void main(String[] args) throws Exception {
    Map<String, String> flags = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!List.of("--capture", "--figures", "--jar").contains(args[i])) {
        throw new IllegalArgumentException("unknown flag " + args[i]);
      }
      flags.put(args[i], args[i + 1]);
    }
    String figures = flags.getOrDefault("--figures", "");
    run(
        Path.of(
            flags.getOrDefault(
                "--capture",
                "meter/src/test/resources/fixtures/kubelet-1.35-containerd-cadvisor.prom")),
        Path.of(flags.getOrDefault("--jar", "exporter/target/chargeback.jar")),
        figures.isBlank() ? List.of() : List.of(figures.split(",")),
        System.out);
  }

  /** The figures, by the names {@code --figures} takes. */
  static final List<String> FIGURES =
      List.of(
          "parse",
          "month",
          "ingest",
          "bills",
          "pages",
          "metrics",
          "growth",
          "months",
          "year",
          "churn",
          "classes",
          "clusters");

  /**
   * Runs {@code figures} (all when empty) and prints the table.
   *
   * @param figures names from {@link #FIGURES}
   */
  public static void run(Path capture, Path jar, List<String> figures, PrintStream out)
      throws Exception {
    for (String f : figures) {
      if (!FIGURES.contains(f)) {
        throw new IllegalArgumentException(
            "flag --figures: unknown figure '" + f + "' (" + String.join(", ", FIGURES) + ")");
      }
    }
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("flag --jar: no chargeback.jar at " + jar);
    }
    Bench b = new Bench(out, jar);
    Path work = Files.createTempDirectory("chargeback-bench");
    try {
      for (String figure : figures.isEmpty() ? FIGURES : figures) {
        switch (figure) {
          case "parse" -> b.parse(Files.readAllBytes(capture), work);
          case "month" -> b.month(work);
          case "ingest" -> b.ingest(work);
          case "bills" -> b.bills(work);
          case "pages" -> b.pages(work);
          case "metrics" -> {
            // -Dbench.metricsNamespaces=10000 measures one size.
            for (String size :
                System.getProperty("bench.metricsNamespaces", "1000,2000,4000,10000").split(",")) {
              b.metrics(work, Integer.parseInt(size.strip()));
            }
          }
          case "growth" -> b.growth(work);
          case "months" -> b.months(work);
          case "year" -> b.year(work);
          case "classes" -> b.classes(work);
          case "clusters" -> b.clusters(work);
          default -> b.churn(work);
        }
      }
    } finally {
      RocksKeyValueStore.deleteTree(work);
    }
    b.print();
  }

  private void row(String figure, String ours, String reference, String ratio) {
    rows.add(new String[] {figure, ours, reference, ratio});
  }

  private void print() {
    out.printf(
        Locale.ROOT,
        "%n%-48s | %-26s | %-34s | %s%n",
        "figure",
        "chargeback (median)",
        "reference (same run)",
        "ratio");
    out.println(
        "-".repeat(48) + "-|-" + "-".repeat(26) + "-|-" + "-".repeat(34) + "-|-" + "-".repeat(16));
    for (String[] r : rows) {
      out.printf(Locale.ROOT, "%-48s | %-26s | %-34s | %s%n", (Object[]) r);
    }
    out.printf(
        Locale.ROOT,
        "%n%d cores, %s, Java %s%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("os.name"),
        System.getProperty("java.version"));
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  static double percentile(double[] v, double p) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.ceil(p * s.length) - 1)];
  }

  /** Figure 1: parse + select on a large real capture, against counting its newlines. */
  private void parse(byte[] capture, Path work) throws Exception {
    int copies = Math.max(1, (50 << 20) / capture.length);
    byte[] big = new byte[capture.length * copies];
    for (int i = 0; i < copies; i++) {
      System.arraycopy(capture, 0, big, i * capture.length, capture.length);
    }
    ExpositionParser parser = new ExpositionParser(new ParserLimits(256 * 1024, 64, 1L << 31));
    double[] ours = new double[7];
    double[] newline = new double[7];
    long samples = 0;
    for (int i = 0; i < ours.length; i++) {
      long t0 = System.nanoTime();
      Selection s = Selection.forRole(SourceRole.CADVISOR, "n", new PodDirectory());
      long lines = parser.parse(big, Format.TEXT, s);
      samples = s.finish(0).size() + lines * 0;
      ours[i] = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      long n = 0;
      for (byte b : big) {
        if (b == '\n') {
          n++;
        }
      }
      newline[i] = (System.nanoTime() - t0) / 1e9 + (n < 0 ? 1 : 0);
    }
    double mb = big.length / 1e6;
    double oursMbs = mb / median(ours);
    double nlMbs = mb / median(newline);
    // promtool reads one exposition (repeated captures would repeat TYPE lines, which it
    // rejects early): it checks the single capture, minus its own start-up (an empty input).
    Path file = work.resolve("capture.prom");
    Path empty = work.resolve("empty.prom");
    Files.write(file, capture);
    Files.write(empty, new byte[0]);
    double[] promtool = new double[15];
    for (int i = 0; i < promtool.length; i++) {
      promtool[i] = Math.max(1e-6, promtoolSeconds(file) - promtoolSeconds(empty));
    }
    Files.delete(file);
    Files.delete(empty);
    double promtoolMbs = capture.length / 1e6 / median(promtool);
    row(
        "parse+select vs promtool check metrics",
        f("%.0f MB/s", oursMbs),
        f("promtool %.0f MB/s", promtoolMbs),
        f("%.1fx promtool (target > 1)", oursMbs / promtoolMbs));
    row(
        "parse+select " + Math.round(mb) + " MB kubelet capture",
        f("%.0f MB/s", oursMbs),
        f("newline count %.0f MB/s", nlMbs),
        f("%.1f%% of newline", 100 * oursMbs / nlMbs));
    if (samples < 0) {
      throw new IllegalStateException();
    }
  }

  /** Figure 2: a month, 50 namespaces × 4 containers at 60 s, against Prometheus. */
  private void month(Path work) throws Exception {
    HistoryBench.Result r = HistoryBench.run(50, 30, true, work);
    row(
        f("month CPU+memory/ns, %d ns, %.1fM samples", r.namespaces(), r.samples() / 1e6),
        f("%.2f ms", r.oursMillis()),
        f("Prometheus %.0f ms", r.prometheusMillis()),
        f("%.0fx faster (target >= 100)", r.prometheusMillis() / r.oursMillis()));
    row(
        "  same answers",
        f("max diff %.3f%%", 100 * r.worstDifference()),
        "target 0.5%",
        r.worstDifference() <= 0.005 ? "met" : "NOT met");
    row(
        "  disk for the month",
        f("%.1f MB SST (compacted)", r.oursBytes() / 1e6),
        f("Prometheus blocks %.1f MB", r.prometheusBytes() / 1e6),
        f("%.1f%% (target <= 10%%)", 100.0 * r.oursBytes() / r.prometheusBytes()));
    row(
        "  import of the OpenMetrics file",
        f("%.0f s, %.0f hours", r.importSeconds(), r.importHours()),
        f("%.2fM samples/s", r.samples() / r.importSeconds() / 1e6),
        "");
  }

  /** Figure 3: live ingest of simulated kubelets, against Prometheus scraping the same. */
  private void ingest(Path work) throws Exception {
    // -Dbench.ingestNodes=1000 measures one size.
    for (String size : System.getProperty("bench.ingestNodes", "50,100,200,1000").split(",")) {
      int nodes = Integer.parseInt(size.trim());
      // Rounds far enough apart that both keep up on 2 cores (the figure is CPU per round).
      IngestBench.Result r = IngestBench.run(nodes, Math.max(5, nodes / 50), jar, work);
      int containers = nodes * SimFleet.CONTAINERS_PER_NODE;
      row(
          f("live ingest %,d nodes, %,d containers", nodes, containers),
          f("%.2f CPU s/round, RSS %d MiB", r.oursCpuPerRound(), r.oursRssBytes() >> 20),
          f("Prometheus %.2f CPU s, %d MiB", r.theirsCpuPerRound(), r.theirsRssBytes() >> 20),
          f(
              "%.2fx Prometheus' CPU (target <= 1.0x, 256 MiB); %.1f%% of a core at 30 s",
              r.oursCpuPerRound() / r.theirsCpuPerRound(), 100 * r.oursCpuPerRound() / 30));
    }
  }

  /**
   * A central chargeback importing 10, 50 and 200 clusters of 200 namespaces from a real
   * VictoriaMetrics ({@code -Dbench.clusters=10,50} picks sizes): per hour imported, the time and
   * both sides' CPU, as ratios against 10 clusters in the same run.
   */
  private void clusters(Path work) throws Exception {
    ClustersBench.Result reference = null;
    for (String size : System.getProperty("bench.clusters", "10,50,200").split(",")) {
      ClustersBench.Result r = ClustersBench.run(Integer.parseInt(size.strip()), 200, work);
      if (r.hoursWritten() != 2 || r.clustersFound() != r.clusters()) {
        throw new IllegalStateException("the import missed hours or clusters: " + r);
      }
      if (reference == null) {
        reference = r;
      }
      row(
          f("central import, %d clusters × 200 ns, an hour", r.clusters()),
          f("%.1f s, %.1f CPU s", r.importSeconds(), r.importCpu()),
          f(
              "VictoriaMetrics %.1f CPU s (%,d series, %.0fM samples loaded in %.0f s)",
              r.engineCpu(), r.series(), r.samples() / 1e6, r.loadSeconds()),
          f(
              "%.1fx time, %.1fx CPU vs %d clusters",
              r.importSeconds() / reference.importSeconds(),
              r.importCpu() / reference.importCpu(),
              reference.clusters()));
    }
  }

  /**
   * Node classes: what keeping usage per node label set costs. The same 200 simulated kubelets
   * (6,000 containers) ingested by a child JVM with the chart's meter settings ({@link
   * ClassesBench#JVM}), with no node labels recorded (nothing placed) and with every node's labels
   * recorded (half of them spot): CPU per round of the ingesting thread, then one namespace's bill
   * of the rounds at prices without and with classes.
   */
  private void classes(Path work) throws Exception {
    double[][] r = new double[2][];
    for (int variant = 0; variant < 2; variant++) {
      r[variant] = ClassesBench.inChild(variant == 1, work.resolve("classes" + variant));
    }
    row(
        f(
            "node classes: ingest %d nodes, %,d containers",
            ClassesBench.NODES, ClassesBench.NODES * SimFleet.CONTAINERS_PER_NODE),
        f("%.2f CPU s/round with labels recorded", r[1][0]),
        f("%.2f CPU s without", r[0][0]),
        f("%.2fx (chart's meter JVM)", r[1][0] / r[0][0]));
    row(
        "  a bill among 200 ns, with classes",
        f("%.2f ms", r[1][1]),
        f("%.2f ms without", r[0][1]),
        f("%.2fx", r[1][1] / r[0][1]));
  }

  /** Figure 7: a month of pod churn, day 30 against day 1 of the same run. */
  private void churn(Path work) throws Exception {
    ChurnBench.Result r = ChurnBench.run(work);
    row(
        f("churn %,d pods/day, 1 h each, day 30", ChurnBench.PODS_PER_DAY),
        f("%.2f CPU s/round, RSS %d MiB", r.cpuDay30(), r.rssDay30() >> 20),
        f("day 1: %.2f CPU s, %d MiB", r.cpuDay1(), r.rssDay1() >> 20),
        f(
            "%.2fx CPU, %.2fx RSS (target flat, <= 256 MiB)",
            r.cpuDay30() / r.cpuDay1(), (double) r.rssDay30() / r.rssDay1()));
    row("  native allocator", IngestBench.allocator(), "as the image", "");
    row(
        "  retention at day 30, store",
        f("%.1f s, %d MB SST", r.retentionSeconds(), r.storeBytes() >> 20),
        f("29 days stored in %.0f s", r.fillSeconds()),
        "");
  }

  /** Figure 6: figure 2 over 7 days at ×1, ×2 and ×4 namespaces, imported from Prometheus. */
  private void growth(Path work) throws Exception {
    for (int namespaces : new int[] {50, 100, 200}) {
      HistoryBench.Result r = HistoryBench.run(namespaces, 7, false, work);
      row(
          f("7 days CPU+memory/ns, %d ns", namespaces),
          f("%.2f ms", r.oursMillis()),
          f("Prometheus %.0f ms", r.prometheusMillis()),
          f(
              "%.0fx faster, diff %.3f%%",
              r.prometheusMillis() / r.oursMillis(), 100 * r.worstDifference()));
      row(
          f("  import from Prometheus, %d ns", namespaces),
          f("%.1f hours/s", r.importHours() / r.importSeconds()),
          f("disk %.1f MB vs %.1f MB", r.oursBytes() / 1e6, r.prometheusBytes() / 1e6),
          f("%.1f%% of Prometheus' disk", 100.0 * r.oursBytes() / r.prometheusBytes()));
    }
  }

  private static double promtoolSeconds(Path input) throws Exception {
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder("promtool", "check", "metrics")
            .redirectInput(input.toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    p.waitFor();
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Figure 4: PDF bills from a simulated month. */
  private void bills(Path work) throws Exception {
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    PriceBook book = PriceBookLoader.defaults();
    SimCluster sim = new SimCluster();
    long now = System.currentTimeMillis();
    try (RollupStore store =
        new RollupStore(RocksKeyValueStore.openPrimary(work.resolve("bills"), false), utc)) {
      SimReplay.history(
          sim, store, new CostAccrual(book, utc), now - 40 * 86_400_000L, now, 1_800_000);
      Biller biller = new Biller(store, book, InstantSource.system());
      BillPdf pdf = new BillPdf(BillPdf.Style.DEFAULT);
      YearMonth last = YearMonth.now(ZoneId.of("UTC")).minusMonths(1);
      List<String> namespaces = List.of("default", "team-a", "team-b");
      for (int i = 0; i < 50; i++) {
        pdf.render(biller.bill(namespaces.get(i % 3), last));
      }
      double[] each = new double[1000];
      long size = 0;
      long all = System.nanoTime();
      for (int i = 0; i < each.length; i++) {
        long t0 = System.nanoTime();
        Bill bill = biller.bill(namespaces.get(i % 3), last);
        size = pdf.render(bill).length;
        each[i] = (System.nanoTime() - t0) / 1e6;
      }
      double total = (System.nanoTime() - all) / 1e9;
      row(
          "one PDF bill (price + render, 2 pages)",
              f("%.1f ms, p99 %.1f ms", median(each), percentile(each, 0.99)),
          "target 50 ms", f("%.2fx of target", median(each) / 50));
      row(
          "1,000 PDF bills, one thread",
          f("%.1f s (%d KB each)", total, size / 1024),
          "target 30 s",
          f("%.2fx of target", total / 30));
      // All namespaces at once (/bills): a month of 1,000 namespaces' daily usage, their bills
      // priced, then one CSV sheet, or a zip with the sheet, the FOCUS file and every PDF
      // rendered on all cores.
      try (RollupStore many =
          new RollupStore(RocksKeyValueStore.openPrimary(work.resolve("bills-1000"), false), utc)) {
        dayBucketsOnly(many);
        fill(many, last, 1000);
        Biller manyBiller = new Biller(many, book, InstantSource.system());
        long t0 = System.nanoTime();
        List<Bill> priced = manyBiller.bills(last, manyBiller.namespaces());
        int csv = BillCsv.render(priced).length;
        double csvSeconds = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        CountingStream zip = new CountingStream();
        BillArchive.write(priced, pdf, utc, last.toString(), zip);
        double zipSeconds = csvSeconds + (System.nanoTime() - t1) / 1e9;
        row(
            "all namespaces (/bills), 1,000 bills",
            f(
                "CSV %.2f s (%d KB); zip with FOCUS and PDFs %.1f s (%d MB)",
                csvSeconds, csv / 1024, zipSeconds, zip.count >> 20),
            f("1,000 bills one by one: %.1f s", total),
            f("%.2fx of one by one (zip)", zipSeconds / total));
        // Shared costs: two of the 1,000 namespaces spread to the others. One bill then reads
        // every namespace's month (the tenants' weights); all bills read them once.
        PriceBook sharing =
            new PriceBook(
                book.currency(),
                book.versions().stream()
                    .map(
                        v ->
                            new PriceVersion(
                                v.effectiveFrom(),
                                v.prices(),
                                v.basis(),
                                v.taxRate(),
                                v.idle(),
                                v.namespaces(),
                                Map.of(
                                    "ns-0000",
                                    new SharedCost("ns-0000", SharedCost.Spread.PROPORTIONAL, null),
                                    "ns-0001",
                                    new SharedCost("ns-0001", SharedCost.Spread.EVEN, null))))
                    .toList());
        Biller sharedBiller = new Biller(many, sharing, InstantSource.system());
        double[] plainOne = new double[5];
        double[] sharedOne = new double[5];
        for (int i = 0; i < 5; i++) {
          long s0 = System.nanoTime();
          manyBiller.bill("ns-0500", last);
          plainOne[i] = (System.nanoTime() - s0) / 1e6;
          long s1 = System.nanoTime();
          sharedBiller.bill("ns-0500", last);
          sharedOne[i] = (System.nanoTime() - s1) / 1e6;
        }
        long s2 = System.nanoTime();
        BillCsv.render(sharedBiller.bills(last, sharedBiller.namespaces()));
        double sharedCsv = (System.nanoTime() - s2) / 1e9;
        row(
            "shared costs (2 of 1,000 namespaces spread): one bill; all bills (CSV)",
            f("%.0f ms; %.2f s", median(sharedOne), sharedCsv),
            f("without sharing: %.1f ms; %.2f s", median(plainOne), csvSeconds),
            f("%.0fx; %.2fx", median(sharedOne) / median(plainOne), sharedCsv / csvSeconds));
      }
    }
  }

  /** For what reads day buckets only (bills, /metrics): no 5-minute or hourly ones are kept. */
  private static void dayBucketsOnly(RollupStore store) {
    store.retain(
        Map.of(
            dev.chargeback.meter.time.Granularity.FIVE_MINUTES, Duration.ZERO,
            dev.chargeback.meter.time.Granularity.HOUR, Duration.ZERO),
        InstantSource.offset(InstantSource.system(), Duration.ofDays(2)));
  }

  /**
   * Figure 7: growth in months of history: 1,000 namespaces metered for 1, 2, 4 and 8 months; last
   * month's bill (JSON and PDF) of a namespace, and the store's size after compaction, against the
   * one-month store in the same run.
   */
  private void months(Path work) throws Exception {
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    PriceBook book = PriceBookLoader.defaults();
    BillPdf pdf = new BillPdf(BillPdf.Style.DEFAULT);
    YearMonth last = YearMonth.now(ZoneId.of("UTC")).minusMonths(1);
    double[] reference = null;
    for (int months : new int[] {1, 2, 4, 8}) {
      RocksKeyValueStore kv =
          RocksKeyValueStore.openPrimary(work.resolve("months-" + months), false);
      try (RollupStore store = new RollupStore(kv, utc)) {
        dayBucketsOnly(store);
        for (int m = months - 1; m >= 0; m--) {
          fill(store, last.minusMonths(m), 1000);
        }
        kv.compact();
        double[] bill = billMillis(new Biller(store, book, InstantSource.system()), pdf, last, 300);
        double[] figures = {bill[0], bill[1], kv.sstBytes() / 1e6};
        if (reference == null) {
          reference = figures;
        }
        // Where the disk goes, per family and per day of history.
        int days = 0;
        for (int m = 0; m < months; m++) {
          days += last.minusMonths(m).lengthOfMonth();
        }
        StringBuilder families = new StringBuilder();
        for (dev.chargeback.meter.store.Family family :
            dev.chargeback.meter.store.Family.values()) {
          families.append(f(" %s %.0f KB", family.cfName, kv.sstBytes(family) / 1e3));
        }
        out.println(
            f(
                "%d month(s), %d days: %.1f KB a day;%s",
                months, days, figures[2] * 1e3 / days, families));
        out.println("  r1d: " + kv.tableProperties(dev.chargeback.meter.store.Family.R1D));
        row(
            f("%d month(s) of 1,000 namespaces: last month's bill", months),
            f("JSON %.1f ms, PDF %.1f ms; disk %.1f MB", figures[0], figures[1], figures[2]),
            months == 1 ? "(the reference)" : "1 month, same run",
            f(
                "%.2fx / %.2fx / %.2fx",
                figures[0] / reference[0], figures[1] / reference[1], figures[2] / reference[2]));
      }
    }
  }

  /**
   * Figure 8: a year of history of 1,000 namespaces in 30 workloads each (30,000), stored month by
   * month by day: the store's size after compaction, RocksDB's flush and compaction CPU per day
   * stored, and the bills of its first, middle and last months against the last's.
   */
  private void year(Path work) throws Exception {
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    PriceBook book = PriceBookLoader.defaults();
    BillPdf pdf = new BillPdf(BillPdf.Style.DEFAULT);
    YearMonth last = YearMonth.now(ZoneId.of("UTC")).minusMonths(1);
    RocksKeyValueStore kv = RocksKeyValueStore.openPrimary(work.resolve("year"), false);
    try (RollupStore store = new RollupStore(kv, utc)) {
      dayBucketsOnly(store);
      long pid = ProcessHandle.current().pid();
      double rocksBefore = rocksSeconds(pid);
      long t0 = System.nanoTime();
      int days = 0;
      for (int m = 11; m >= 0; m--) {
        fill(store, last.minusMonths(m), 1000, 30);
        days += last.minusMonths(m).lengthOfMonth();
      }
      kv.compact();
      double stored = (System.nanoTime() - t0) / 1e9;
      double rocks = rocksSeconds(pid) - rocksBefore;
      row(
          "a year of 1,000 namespaces, 30,000 workloads (by day)",
          f("disk %.1f MB after compaction", kv.sstBytes() / 1e6),
          f("stored in %.0f s", stored),
          f("RocksDB flushes and compactions %.2f CPU s a day stored", rocks / days));
      Biller biller = new Biller(store, book, InstantSource.system());
      double[] reference = null;
      for (YearMonth month : List.of(last, last.minusMonths(6), last.minusMonths(11))) {
        double[] figures = billMillis(biller, pdf, month, 100);
        if (reference == null) {
          reference = figures;
        }
        row(
            f("  bill of %s (30 workloads)", month),
            f("JSON %.1f ms, PDF %.1f ms", figures[0], figures[1]),
            month.equals(last) ? "(the reference)" : f("%s, same run", last),
            f("%.2fx / %.2fx", figures[0] / reference[0], figures[1] / reference[1]));
      }
    }
  }

  /**
   * Median milliseconds of {@code count} bills of {@code month} of namespaces ns-0000…ns-0999 (a
   * spread of them), priced and rendered: {JSON, PDF}, after a warm-up.
   */
  private static double[] billMillis(Biller biller, BillPdf pdf, YearMonth month, int count) {
    for (int i = 0; i < count / 5; i++) {
      pdf.render(biller.bill(String.format(Locale.ROOT, "ns-%04d", i * 17 % 1000), month));
    }
    double[] json = new double[count];
    double[] pdfs = new double[count];
    for (int i = 0; i < count; i++) {
      String ns = String.format(Locale.ROOT, "ns-%04d", i * 37 % 1000);
      long t0 = System.nanoTime();
      BillJson.render(biller.bill(ns, month));
      long t1 = System.nanoTime();
      pdf.render(biller.bill(ns, month));
      json[i] = (t1 - t0) / 1e6;
      pdfs[i] = (System.nanoTime() - t1) / 1e6;
    }
    return new double[] {median(json), median(pdfs)};
  }

  /** CPU seconds of RocksDB's background threads (flushes, compactions) in process {@code pid}. */
  private static double rocksSeconds(long pid) throws IOException {
    return IngestBench.threadSeconds(pid).entrySet().stream()
        .filter(e -> e.getKey().startsWith("rocksdb:"))
        .mapToDouble(Map.Entry::getValue)
        .sum();
  }

  /**
   * {@code namespaces} namespaces' daily usage over {@code month} (day buckets only: the caller's
   * store keeps no finer ones), each with its own load that varies by day, in one workload.
   */
  private static void fill(RollupStore store, YearMonth month, int namespaces) {
    fill(store, month, namespaces, 1);
  }

  /** The same, in {@code workloads} workloads per namespace, each with the namespace's load. */
  private static void fill(RollupStore store, YearMonth month, int namespaces, int workloads) {
    BillingCalendar calendar = store.calendar();
    for (int n = 0; n < namespaces; n++) {
      List<Usage> usages = new ArrayList<>();
      String ns = String.format(java.util.Locale.ROOT, "ns-%04d", n);
      for (int w = 0; w < workloads; w++) {
        String workload = workloads == 1 ? "Deployment/app" : "Deployment/app-" + w;
        for (LocalDate d = month.atDay(1); !d.isAfter(month.atEndOfMonth()); d = d.plusDays(1)) {
          long from = calendar.startOf(d) * 1000;
          long to = from + 86_400_000L;
          double load = 1 + n % 7 + d.getDayOfMonth() % 5;
          usages.add(new Usage(ns, workload, "", Resource.CPU, from, to, load * 8640));
          usages.add(new Usage(ns, workload, "", Resource.MEMORY, from, to, load * 1e13));
          usages.add(new Usage(ns, workload, "", Resource.NETWORK_TRANSMIT, from, to, load * 1e8));
        }
      }
      store.apply(new Ingest("bench", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
    }
  }

  /**
   * Figure 6: the web overview of 1,000 namespaces (two months metered, labels on each), rendered
   * on the server, against the same bills as one CSV sheet; and one namespace's page against its
   * JSON bill.
   */
  private void pages(Path work) throws Exception {
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    PriceBook book = PriceBookLoader.defaults();
    YearMonth last = YearMonth.now(ZoneId.of("UTC")).minusMonths(1);
    try (RollupStore store =
        new RollupStore(RocksKeyValueStore.openPrimary(work.resolve("pages-1000"), false), utc)) {
      dayBucketsOnly(store);
      fill(store, last.minusMonths(1), 1000);
      fill(store, last, 1000);
      for (int n = 0; n < 1000; n++) {
        store
            .labels()
            .record(
                String.format(java.util.Locale.ROOT, "ns-%04d", n),
                last.minusMonths(1),
                Map.of("team", "team-" + n % 10, "cost-center", "CC-" + (1000 + n % 25)));
      }
      Biller biller = new Biller(store, book, InstantSource.system());
      WebRoutes web = new WebRoutes(store, biller, null, false);
      Money money = new Money(java.util.Locale.ENGLISH, book.currency());
      Overview.Query query = new Overview.Query(last, "cost", true, "");
      List<String> all = List.copyOf(biller.namespaces());
      double[] overview = new double[15];
      double[] cold = new double[15];
      double[] csv = new double[15];
      double[] page = new double[15];
      double[] json = new double[15];
      int size = 0;
      for (int i = 0; i < overview.length; i++) {
        long t0 = System.nanoTime();
        size = web.overviewHtml(Viewer.OPEN, all, query, money).length();
        overview[i] = (System.nanoTime() - t0) / 1e6;
        // A fresh server's first overview: the previous month's days not cached yet.
        long t4 = System.nanoTime();
        new WebRoutes(store, biller, null, false).overviewHtml(Viewer.OPEN, all, query, money);
        cold[i] = (System.nanoTime() - t4) / 1e6;
        long t1 = System.nanoTime();
        BillCsv.render(biller.bills(last, all));
        csv[i] = (System.nanoTime() - t1) / 1e6;
        long t2 = System.nanoTime();
        web.namespaceHtml(Viewer.OPEN, "ns-0500", last, money);
        page[i] = (System.nanoTime() - t2) / 1e6;
        long t3 = System.nanoTime();
        BillJson.render(biller.bill("ns-0500", last));
        json[i] = (System.nanoTime() - t3) / 1e6;
      }
      // The first five runs warm the JIT up.
      double[] o = java.util.Arrays.copyOfRange(overview, 5, overview.length);
      double[] c = java.util.Arrays.copyOfRange(csv, 5, csv.length);
      double[] cc = java.util.Arrays.copyOfRange(cold, 5, cold.length);
      row(
          "web overview of 1,000 namespaces (/), server",
          f(
              "%.0f ms (%d KB of HTML); %.0f ms with the previous month's days not yet cached",
              median(o), size / 1024, median(cc)),
          f("target 100 ms; the same bills as one CSV (/bills): %.0f ms", median(c)),
          f("%.2fx of target; %.2fx of the CSV", median(o) / 100, median(o) / median(c)));
      double[] p = java.util.Arrays.copyOfRange(page, 5, page.length);
      double[] j = java.util.Arrays.copyOfRange(json, 5, json.length);
      row(
          "a namespace's page (/ns/NAME), 1,000 namespaces",
          f("%.1f ms", median(p)),
          f("its JSON bill: %.1f ms", median(j)),
          f("%.2fx", median(p) / median(j)));
    }
  }

  /** Figure 5: /metrics with {@code count} namespaces, against the JVM metrics alone. */
  private void metrics(Path work, int count) throws Exception {
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(work.resolve("metrics-" + count), false), utc)) {
      // /metrics reads day buckets and totals.
      dayBucketsOnly(store);
      LocalDate first = YearMonth.now(ZoneId.of("UTC")).atDay(1);
      int days = LocalDate.now(ZoneId.of("UTC")).getDayOfMonth();
      for (int n = 0; n < count; n++) {
        List<Usage> usages = new ArrayList<>();
        String ns = "namespace-" + n;
        for (int d = 0; d < days; d++) {
          long start = utc.startOf(first.plusDays(d)) * 1000;
          for (Resource r :
              List.of(
                  Resource.CPU,
                  Resource.MEMORY,
                  Resource.NETWORK_RECEIVE,
                  Resource.NETWORK_TRANSMIT,
                  Resource.STORAGE,
                  Resource.COST_CPU,
                  Resource.COST_MEMORY,
                  Resource.COST_NETWORK_TRANSMIT,
                  Resource.COST_STORAGE)) {
            // One increment at noon: a day's worth lands in one bucket per granularity.
            long noon = start + 43_200_000L;
            usages.add(new Usage(ns, "Deployment/app", "", r, noon, noon, 1000 + n));
          }
        }
        store.apply(new Ingest("bench", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
      }
      PrometheusRegistry registry = new PrometheusRegistry();
      JvmMetrics.builder().register(registry);
      registry.register(
          new HealthCollector(store, InstantSource.system(), Duration.ofMinutes(5), "bench", work));
      MetricsPage full =
          new MetricsPage(
              new BillingMetrics(store, PriceBookLoader.defaults(), InstantSource.system()),
              registry);
      PrometheusRegistry jvm = new PrometheusRegistry();
      JvmMetrics.builder().register(jvm);
      double[][] ours = scrapes(full, false);
      double[][] reference = scrapes(new MetricsPage(null, jvm), false);
      // As Prometheus asks (gzip): compressed by the page, against the plain page compressed at
      // the web server's default level, as every response was before.
      double[][] zipped = scrapes(full, true);
      double[] serverGzip = new double[20];
      int zippedSize = full.render(full.writer(OPEN_METRICS), true).length;
      for (int i = 0; i < serverGzip.length; i++) {
        long t0 = System.nanoTime();
        byte[] page = full.render(full.writer(OPEN_METRICS));
        try (var gzip = new java.util.zip.GZIPOutputStream(new CountingStream(), 8192)) {
          gzip.write(page);
        }
        serverGzip[i] = (System.nanoTime() - t0) / 1e6;
      }
      // Where a scrape's time goes: reading the totals alone, and the billing families.
      BillingMetrics billing =
          new BillingMetrics(store, PriceBookLoader.defaults(), InstantSource.system());
      double[] scan = new double[50];
      double[] halves = new double[50];
      double[] collect = new double[50];
      double[] writes = new double[50];
      long[] keys = {0};
      for (int i = 0; i < scan.length; i++) {
        long t0 = System.nanoTime();
        store.eachTotal(dev.chargeback.meter.rollup.Scope.NAMESPACE, r -> keys[0]++);
        long t1 = System.nanoTime();
        store.totalsInOrder(dev.chargeback.meter.rollup.Scope.NAMESPACE);
        long t2 = System.nanoTime();
        var families = billing.collect();
        long t3 = System.nanoTime();
        dev.chargeback.exporter.metrics.Exposition.render(families, true, new byte[0], false);
        long t4 = System.nanoTime();
        writes[i] = (t4 - t3) / 1e6;
        scan[i] = (t1 - t0) / 1e6;
        halves[i] = (t2 - t1) / 1e6;
        collect[i] = (t3 - t2) / 1e6;
      }
      out.println(
          f(
              "/metrics at %,d namespaces: reading %,d totals %.1f ms in one pass, %.1f ms in two"
                  + " halves at once; the billing families %.1f ms, written %.1f ms (medians of 50)",
              count,
              keys[0] / scan.length,
              median(scan),
              median(halves),
              median(collect),
              median(writes)));
      row(
          f(
              "/metrics, %,d namespaces (%d KB)",
              count, full.render(full.writer(OPEN_METRICS)).length / 1024),
          f(
              "%.1f ms, p99 %.1f ms; %.1f MiB allocated",
              median(ours[0]), percentile(ours[0], 0.99), median(ours[1])),
          f("JVM metrics only %.2f ms, %.2f MiB", median(reference[0]), median(reference[1])),
          f("%.2fx of target 50 ms, %.2fx of 64 MiB", median(ours[0]) / 50, median(ours[1]) / 64));
      row(
          f("same, gzip as Prometheus asks (%d KB)", zippedSize / 1024),
          f(
              "%.1f ms, p99 %.1f ms; %.1f MiB allocated",
              median(zipped[0]), percentile(zipped[0], 0.99), median(zipped[1])),
          f("plain page, then gzip level 6 (Javalin's): %.1f ms", median(serverGzip)),
          f("%.2fx", median(zipped[0]) / median(serverGzip)));
    }
  }

  private static final String OPEN_METRICS =
      "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5";

  /** Milliseconds and MiB allocated by each of 200 scrapes (OpenMetrics, as Prometheus asks). */
  private static double[][] scrapes(MetricsPage page, boolean gzip) throws IOException {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    var writer = page.writer(OPEN_METRICS);
    for (int i = 0; i < 20; i++) {
      page.render(writer, gzip);
    }
    double[][] t = new double[2][200];
    for (int i = 0; i < t[0].length; i++) {
      // All threads': the page is read and written in halves on a second thread.
      long a0 = threads.getTotalThreadAllocatedBytes();
      long t0 = System.nanoTime();
      page.render(writer, gzip);
      t[0][i] = (System.nanoTime() - t0) / 1e6;
      t[1][i] = (threads.getTotalThreadAllocatedBytes() - a0) / 1048576.0;
    }
    return t;
  }

  static String f(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }

  /** Counts what is written, keeps nothing. */
  private static final class CountingStream extends java.io.OutputStream {
    long count;

    @Override
    public void write(int b) {
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count += len;
    }
  }
}
