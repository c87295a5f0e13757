package dev.chargeback.exporter.role;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;

import com.sun.net.httpserver.HttpServer;
import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.OpenMetricsImport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.history.PrometheusImport;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.sim.SimHistory;
import dev.chargeback.meter.store.HourSources;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.io.InputStream;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * History import against a real Prometheus whose TSDB was filled by {@code promtool tsdb
 * create-blocks-from openmetrics} from a generated three days: the imported usage matches metering
 * the same OpenMetrics file directly, a second import changes nothing, an interrupted import
 * resumes, live hours are never overwritten, and failed hours are listed and retried.
 */
class HistoryImportIT {
  private static final long START = Instant.parse("2026-10-01T00:00:00Z").toEpochMilli();
  private static final long DAY = 86_400_000;
  private static final long END = START + 3 * DAY;
  private static final SimHistory HISTORY =
      new SimHistory(10, 2, START, Duration.ofDays(3), Duration.ofSeconds(60));
  private static final ZoneId ZONE = ZoneId.of("Asia/Seoul");

  @TempDir static Path shared;
  @TempDir Path dir;

  private static Path file;
  private static Process prometheus;
  private static String prometheusUrl;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeAll
  static void prometheusWithAGeneratedHistory() throws Exception {
    file = shared.resolve("history.om");
    try (Writer out = Files.newBufferedWriter(file)) {
      HISTORY.write(out);
    }
    Path tsdb = shared.resolve("tsdb");
    Process promtool =
        new ProcessBuilder(
                "promtool",
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "-q",
                file.toString(),
                tsdb.toString())
            .redirectErrorStream(true)
            .redirectOutput(shared.resolve("promtool.log").toFile())
            .start();
    assertThat(promtool.waitFor(300, TimeUnit.SECONDS)).isTrue();
    assertThat(promtool.exitValue()).as(Files.readString(shared.resolve("promtool.log"))).isZero();
    Path config = shared.resolve("prometheus.yml");
    Files.writeString(config, "global: {scrape_interval: 1m}\n");
    int port = ChargebackProcess.freePort();
    prometheus =
        new ProcessBuilder(
                "prometheus",
                "--config.file=" + config,
                "--storage.tsdb.path=" + tsdb,
                "--storage.tsdb.retention.time=10y",
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(shared.resolve("prometheus.log").toFile())
            .start();
    prometheusUrl = "http://127.0.0.1:" + port;
    try (HttpClient http = HttpClient.newHttpClient()) {
      long deadline = System.currentTimeMillis() + 60_000;
      while (true) {
        assertThat(prometheus.isAlive()).isTrue();
        try {
          if (http.send(
                      HttpRequest.newBuilder(URI.create(prometheusUrl + "/-/ready")).build(),
                      HttpResponse.BodyHandlers.discarding())
                  .statusCode()
              == 200) {
            break;
          }
        } catch (java.io.IOException e) {
          // not listening yet
        }
        assertThat(System.currentTimeMillis()).isLessThan(deadline);
        Thread.sleep(200);
      }
    }
  }

  @AfterAll
  static void stopPrometheus() throws Exception {
    if (prometheus != null) {
      prometheus.destroy();
      prometheus.waitFor(20, TimeUnit.SECONDS);
    }
  }

  private RollupStore store(String name) {
    RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(dir.resolve(name), false), new BillingCalendar(ZONE));
    closing.add(store);
    return store;
  }

  private PrometheusApi api(String url) {
    PrometheusApi api =
        new PrometheusApi(
            new PrometheusApi.Endpoint(
                URI.create(url), () -> null, null, null, Duration.ofSeconds(30)));
    closing.add(api);
    return api;
  }

  private static ImportReport importFrom(RollupStore store, PrometheusApi api, long from, long to)
      throws InterruptedException {
    return new PrometheusImport(store, api, null, 1).run(from, to);
  }

  private static ImportReport importFile(RollupStore store) throws Exception {
    try (InputStream in = Files.newInputStream(file)) {
      return new OpenMetricsImport(store, Duration.ofMinutes(5), null, ParserLimits.DEFAULT)
          .run(in);
    }
  }

  /** CPU and memory totals per namespace. */
  private static Map<String, Double> totals(RollupStore store) {
    Map<String, Double> out = new TreeMap<>();
    store
        .totals(Scope.NAMESPACE)
        .forEach(
            (k, v) -> {
              if (k.resource() == Resource.CPU || k.resource() == Resource.MEMORY) {
                out.put(k.owner() + " " + k.resource().name(), v.sum());
              }
            });
    return out;
  }

  @Test
  void prometheusImportMatchesMeteringTheFileAndASecondImportChangesNothing() throws Exception {
    RollupStore imported = store("imported");
    long t0 = System.nanoTime();
    ImportReport first = importFrom(imported, api(prometheusUrl), START, END);
    double seconds = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        "imported %d hours of %d namespaces from Prometheus in %.2f s: %.1f hours/s%n",
        first.written().size(), HISTORY.namespaces(), seconds, first.written().size() / seconds);
    assertThat(first.failed()).isEmpty();
    assertThat(first.written()).hasSize(72);

    RollupStore metered = store("metered");
    ImportReport direct = importFile(metered);
    assertThat(direct.samples()).isEqualTo(HISTORY.samples());
    assertThat(direct.written()).hasSize(72);

    Map<String, Double> viaPrometheus = totals(imported);
    Map<String, Double> viaFile = totals(metered);
    assertThat(viaPrometheus.keySet()).hasSize(20).isEqualTo(viaFile.keySet());
    for (int n = 0; n < HISTORY.namespaces(); n++) {
      String ns = HISTORY.namespace(n);
      double exactCpu = HISTORY.cpu(n, START, END);
      double exactMemory = HISTORY.memory(n, START, END);
      assertThat(viaFile.get(ns + " CPU")).isCloseTo(exactCpu, withPercentage(0.01));
      assertThat(viaFile.get(ns + " MEMORY")).isCloseTo(exactMemory, withPercentage(0.05));
      assertThat(viaPrometheus.get(ns + " CPU"))
          .isCloseTo(viaFile.get(ns + " CPU"), withPercentage(0.5));
      assertThat(viaPrometheus.get(ns + " MEMORY"))
          .isCloseTo(viaFile.get(ns + " MEMORY"), withPercentage(0.5));
    }

    // Node capacity (node-exporter), for idle cost as live: each node's cores and memory for the
    // 72 hours.
    var nodes = imported.totals(Scope.NODE);
    double hours = 72 * 3600.0;
    for (String node : SimHistory.nodes()) {
      assertThat(nodes.get(new RollupKey(Scope.NODE, node, "", Resource.CAPACITY_CPU)).sum())
          .as(node)
          .isCloseTo(SimHistory.cores(node) * hours, withPercentage(0.5));
      assertThat(nodes.get(new RollupKey(Scope.NODE, node, "", Resource.CAPACITY_MEMORY)).sum())
          .as(node)
          .isCloseTo(SimHistory.nodeMemory() * hours, withPercentage(0.5));
    }

    double worst = 0;
    for (String k : viaFile.keySet()) {
      worst = Math.max(worst, Math.abs(viaPrometheus.get(k) / viaFile.get(k) - 1));
    }
    System.out.printf("largest difference Prometheus vs metering the file: %.4f%%%n", worst * 100);

    // A bill of the imported month: its coverage is the imported share of October.
    var bill =
        new dev.chargeback.meter.bill.Biller(
                imported,
                dev.chargeback.meter.price.PriceBookLoader.defaults(),
                java.time.InstantSource.fixed(Instant.parse("2026-11-05T00:00:00Z")))
            .bill("ns-003", java.time.YearMonth.of(2026, 10));
    assertThat(bill.coverage()).isCloseTo(72.0 / 744, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(bill.lines()).extracting(l -> l.resource().code).contains("cpu", "memory");
    // Idle cost of the imported hours, from the imported capacity: 12 cores less what ran.
    String separate =
        new String(
                dev.chargeback.meter.price.PriceBookLoader.class
                    .getResourceAsStream("default-prices.yaml")
                    .readAllBytes(),
                StandardCharsets.UTF_8)
            .replace("idle: ignore", "idle: separate");
    var idle =
        new dev.chargeback.meter.bill.Biller(
                imported,
                dev.chargeback.meter.price.PriceBookLoader.parse(separate, "separate"),
                java.time.InstantSource.fixed(Instant.parse("2026-11-05T00:00:00Z")))
            .bill(dev.chargeback.meter.bill.Biller.IDLE, java.time.YearMonth.of(2026, 10));
    assertThat(idle.notes()).noneMatch(n -> n.contains("node capacity"));
    var idleCpu =
        idle.lines().stream()
            .filter(l -> l.resource().code.equals("idle_cpu"))
            .findFirst()
            .orElseThrow(() -> new AssertionError(idle.lines() + " " + idle.notes()));
    double usedCoreHours = 0;
    for (String k : viaPrometheus.keySet()) {
      if (k.endsWith(" CPU")) {
        usedCoreHours += viaPrometheus.get(k) / 3600;
      }
    }
    assertThat(idleCpu.quantity().doubleValue())
        .isCloseTo(12 * 72 - usedCoreHours, withPercentage(1));

    ImportReport again = importFrom(imported, api(prometheusUrl), START, END);
    assertThat(again.written()).isEmpty();
    assertThat(again.alreadyOwned()).hasSize(72);
    assertThat(totals(imported)).isEqualTo(viaPrometheus);
    ImportReport fileAgain = importFile(metered);
    assertThat(fileAgain.written()).isEmpty();
    assertThat(totals(metered)).isEqualTo(viaFile);
  }

  @Test
  void anInterruptedImportResumesAndLiveHoursAreNeverOverwritten() throws Exception {
    RollupStore whole = store("whole");
    importFrom(whole, api(prometheusUrl), START, END);

    RollupStore resumed = store("resumed");
    long liveHour = START + 30 * 3_600_000L;
    resumed.apply(
        new Ingest(
            "cadvisor:node/a",
            liveHour + 3_600_000,
            liveHour,
            3_600_000,
            List.of(
                new Usage(
                    "ns-000",
                    "Deployment/app-000",
                    "a",
                    Resource.CPU,
                    liveHour,
                    liveHour + 3_600_000,
                    1000)),
            Map.of(),
            1));
    assertThat(resumed.hours().of(liveHour)).isEqualTo(HourSources.LIVE);
    ImportReport firstDay = importFrom(resumed, api(prometheusUrl), START, START + DAY);
    assertThat(firstDay.written()).hasSize(24);
    ImportReport rest = importFrom(resumed, api(prometheusUrl), START, END);
    assertThat(rest.alreadyOwned()).hasSize(25).contains(liveHour);
    assertThat(rest.written()).hasSize(47);

    RollupKey cpu0 = new RollupKey(Scope.NAMESPACE, "ns-000", "", Resource.CPU);
    assertThat(resumed.sum(Granularity.HOUR, cpu0, liveHour / 1000, liveHour / 1000 + 1))
        .isEqualTo(1000);
    // The live hour is the live meter's for every namespace: the import added nothing to it.
    Map<String, Double> expected = new TreeMap<>();
    whole
        .totals(Scope.NAMESPACE)
        .forEach(
            (k, v) -> {
              if (k.resource() == Resource.CPU || k.resource() == Resource.MEMORY) {
                double inLiveHour =
                    whole.sum(Granularity.HOUR, k, liveHour / 1000, liveHour / 1000 + 1);
                expected.put(k.owner() + " " + k.resource().name(), v.sum() - inLiveHour);
              }
            });
    expected.merge("ns-000 CPU", 1000.0, Double::sum);
    Map<String, Double> actual = totals(resumed);
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach((k, v) -> assertThat(actual.get(k)).as(k).isCloseTo(v, withPercentage(1e-9)));
  }

  @Test
  void anAnswerOverTheBoundFailsItsHoursByNameAndALargerBoundImportsThem() throws Exception {
    RollupStore store = store("bounded");
    PrometheusApi small =
        new PrometheusApi(
            new PrometheusApi.Endpoint(
                URI.create(prometheusUrl), () -> null, null, null, Duration.ofSeconds(30)),
            4096);
    closing.add(small);
    ImportReport refused = importFrom(store, small, START, START + DAY);
    assertThat(refused.written()).isEmpty();
    assertThat(refused.failed()).hasSize(24);
    assertThat(refused.summary())
        .contains("the answer to '")
        .contains("is larger than 4096 bytes (config key prometheus.maxAnswerBytes)");
    ImportReport retried = importFrom(store, api(prometheusUrl), START, START + DAY);
    assertThat(retried.written()).hasSize(24);
  }

  @Test
  void failedHoursAreListedNotFilledAndTheNextRunRetriesThem() throws Exception {
    // In front of Prometheus: the second day's queries fail with 503.
    HttpServer flaky = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    HttpClient upstream = HttpClient.newHttpClient();
    closing.add(upstream);
    flaky.createContext(
        "/",
        exchange -> {
          byte[] form = exchange.getRequestBody().readAllBytes();
          String body = new String(form, StandardCharsets.UTF_8);
          long start = Long.parseLong(body.replaceAll(".*start=(\\d+).*", "$1")) * 1000;
          byte[] answer;
          int status;
          if (start > START + DAY && start <= START + 2 * DAY) {
            status = 503;
            answer =
                "{\"status\":\"error\",\"error\":\"store gateway unavailable\"}"
                    .getBytes(StandardCharsets.UTF_8);
          } else {
            try {
              HttpResponse<byte[]> r =
                  upstream.send(
                      HttpRequest.newBuilder(URI.create(prometheusUrl + exchange.getRequestURI()))
                          .header("Content-Type", "application/x-www-form-urlencoded")
                          .POST(HttpRequest.BodyPublishers.ofByteArray(form))
                          .build(),
                      HttpResponse.BodyHandlers.ofByteArray());
              status = r.statusCode();
              answer = r.body();
            } catch (InterruptedException e) {
              throw new java.io.IOException(e);
            }
          }
          exchange.sendResponseHeaders(status, answer.length);
          exchange.getResponseBody().write(answer);
          exchange.close();
        });
    flaky.start();
    closing.add(() -> flaky.stop(0));

    RollupStore store = store("flaky");
    ImportReport report =
        importFrom(store, api("http://127.0.0.1:" + flaky.getAddress().getPort()), START, END);
    assertThat(report.written()).hasSize(48);
    assertThat(report.failed())
        .hasSize(24)
        .allMatch(f -> f.endsWith("HTTP 503: store gateway unavailable"))
        .first()
        .asString()
        .startsWith(Instant.ofEpochMilli(START + DAY).toString());
    assertThat(report.summary()).contains("24 failed").contains("run the same import again");
    assertThat(store.hours().of(START + DAY + 3_600_000)).isNull();

    ImportReport unreachable =
        importFrom(store("down"), api("http://127.0.0.1:1"), START, START + DAY);
    assertThat(unreachable.failed()).hasSize(24).allMatch(f -> f.contains("cannot reach"));

    ImportReport retry = importFrom(store, api(prometheusUrl), START, END);
    assertThat(retry.written()).hasSize(24);
    assertThat(retry.failed()).isEmpty();
    RollupStore whole = store("reference");
    importFrom(whole, api(prometheusUrl), START, END);
    Map<String, Double> expected = totals(whole);
    Map<String, Double> actual = totals(store);
    expected.forEach((k, v) -> assertThat(actual.get(k)).as(k).isCloseTo(v, withPercentage(1e-9)));
  }

  private ChargebackProcess.Run chargeback(String... args) throws Exception {
    return ChargebackProcess.run(dir, args);
  }

  @Test
  void theImportRoleWritesAStoppedMetersDataOrAsksTheRunningMeter() throws Exception {
    String data = dir.resolve("offline").toString();
    ChargebackProcess.Run offline =
        chargeback("import", "--openmetrics", file.toString(), "--data", data);
    assertThat(offline.exit()).as(offline.output()).isZero();
    assertThat(offline.output())
        .contains("imported 72 hour(s) from " + HISTORY.samples() + " samples");
    ChargebackProcess.Run twice =
        chargeback("import", "--openmetrics", file.toString(), "--data", data);
    assertThat(twice.output()).contains("imported 0 hour(s)").contains("72 already had a source");

    ChargebackProcess.Run help = chargeback("import", "--help");
    assertThat(help.exit()).isZero();
    assertThat(help.output()).contains("--openmetrics FILE").contains("the meter is running");
    ChargebackProcess.Run neither = chargeback("import", "--data", data);
    assertThat(neither.exit()).isEqualTo(1);
    assertThat(neither.output().strip())
        .isEqualTo("chargeback: import needs one of --openmetrics FILE or --prometheus-url URL");
    ChargebackProcess.Run badStart =
        chargeback(
            "import",
            "--prometheus-url",
            prometheusUrl,
            "--start",
            "yesterday",
            "--end",
            "2026-10-04",
            "--data",
            data);
    assertThat(badStart.output()).contains("flag --start: 'yesterday' is not RFC 3339");

    String live = dir.resolve("live").toString();
    Path meterLog = dir.resolve("meter.log");
    Process meter =
        ChargebackProcess.start(
            meterLog,
            "meter",
            "--data",
            live,
            "--listen",
            "127.0.0.1:0",
            "--kubernetes.discovery",
            "off");
    try {
      ChargebackProcess.awaitLog(meter, meterLog, "metering 0 target(s)");
      String admin = ChargebackProcess.adminUrl(meter, meterLog);
      Thread.sleep(500);
      ChargebackProcess.Run forwarded =
          chargeback(
              "import",
              "--prometheus-url",
              prometheusUrl,
              "--start",
              "2026-10-01",
              "--end",
              "2026-10-04T00:00:00Z",
              "--data",
              live,
              "--meter-url",
              admin);
      assertThat(forwarded.exit()).as(forwarded.output()).isZero();
      assertThat(forwarded.output())
          .contains("the meter is running: asking it to do this (" + admin + "/admin/import)")
          .contains("imported 72 hour(s)");
    } finally {
      meter.destroy();
      meter.waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void theMeterReadsClosedHoursFromAPrometheusSource() throws Exception {
    // The source reads every closed hour of its lookback: the reference is the same wider range.
    RollupStore reference = store("reference");
    ImportReport wide = importFrom(reference, api(prometheusUrl), START - DAY, END + DAY);
    Map<String, Double> expected = totals(reference);
    reference.close();

    String data = dir.resolve("source").toString();
    Path log = dir.resolve("source.log");
    Process meter =
        ChargebackProcess.start(
            log,
            "meter",
            "--data",
            data,
            "--listen",
            "127.0.0.1:0",
            "--kubernetes.discovery",
            "off",
            "--prometheus.url",
            prometheusUrl,
            "--prometheus.lookback",
            (System.currentTimeMillis() - START) / DAY + 2 + "d",
            "--billing.time-zone",
            ZONE.getId());
    try {
      ChargebackProcess.awaitLog(
          meter, log, "imported " + wide.written().size() + " hour(s)", 120_000);
    } finally {
      meter.destroy();
      assertThat(meter.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
    Map<String, Double> actual = totals(store("source"));
    assertThat(actual.keySet()).isEqualTo(expected.keySet());
    expected.forEach((k, v) -> assertThat(actual.get(k)).as(k).isCloseTo(v, withPercentage(1e-9)));
  }

  @org.junit.jupiter.api.AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }
}
