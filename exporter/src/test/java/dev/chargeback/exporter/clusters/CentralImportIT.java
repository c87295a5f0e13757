package dev.chargeback.exporter.clusters;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.exporter.harness.Engine;
import dev.chargeback.exporter.harness.SimulatedExporter;
import dev.chargeback.exporter.role.Roles;
import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillJson;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.ClusterBills;
import dev.chargeback.meter.bill.MonthClose;
import dev.chargeback.meter.history.ChargebackImport;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.runtime.MeterRuntime;
import dev.chargeback.meter.store.HourSources;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A central chargeback importing three clusters' counters (one plain, one restored from an old
 * backup, one reinstalled with a new store) from real engines holding the same generated history:
 * Prometheus (blocks made by {@code promtool}) and VictoriaMetrics (its import API). Per cluster,
 * namespace and resource the hours add up to exactly the usage the clusters had, on both engines.
 */
class CentralImportIT {
  /** 2026-11-10T00:00Z: six whole hours from here. */
  private static final long START = 1_794_268_800L;

  private static final CounterHistory HISTORY = new CounterHistory(START, 6);

  @TempDir static Path shared;
  @TempDir Path dir;

  private static Engine prometheus;
  private static Engine victoria;

  @BeforeAll
  static void enginesWithTheSameHistory() throws Exception {
    Path file = shared.resolve("counters.om");
    try (Writer out = Files.newBufferedWriter(file)) {
      HISTORY.writeOpenMetrics(out);
    }
    Path tsdb = shared.resolve("tsdb");
    Engine.createBlocks(file, tsdb);
    prometheus = Engine.prometheus(tsdb, "global: {scrape_interval: 1m}\n", shared);
    victoria = Engine.victoriaMetrics(shared.resolve("vm"), shared);
    StringWriter text = new StringWriter();
    HISTORY.writeText(text);
    assertThat(
            victoria.post(
                "/api/v1/import/prometheus",
                "text/plain",
                text.toString().getBytes(StandardCharsets.UTF_8)))
        .isEqualTo(204);
    assertThat(victoria.post("/internal/force_flush", "text/plain", new byte[0])).isEqualTo(200);
  }

  @AfterAll
  static void stopEngines() {
    if (prometheus != null) {
      prometheus.close();
    }
    if (victoria != null) {
      victoria.close();
    }
  }

  private static PrometheusApi api(Engine engine) {
    return new PrometheusApi(
        PrometheusApi.endpoint(engine.url, "", "", "", false, Duration.ofSeconds(30)));
  }

  /**
   * Per (cluster, namespace, resource) the all-time usage totals of the other clusters' parts of a
   * central store, in quanta (costs and zeros left out).
   */
  static Map<List<String>, Long> totals(RollupStore store) {
    Map<List<String>, Long> out = new HashMap<>();
    for (String cluster : store.clusters()) {
      store
          .cluster(cluster)
          .totals(Scope.NAMESPACE)
          .forEach(
              (k, r) -> {
                if (!k.resource().isCost() && r.sum() != 0) {
                  out.put(
                      List.of(cluster, k.owner(), k.resource().name()),
                      k.resource().units(r.sum()));
                }
              });
    }
    return out;
  }

  private void importsExactly(Engine engine) throws Exception {
    try (RollupStore store =
            new RollupStore(
                RocksKeyValueStore.openPrimary(dir.resolve("central"), false),
                new BillingCalendar(ZoneId.of("UTC")));
        PrometheusApi api = api(engine)) {
      ChargebackImport source = new ChargebackImport(store, api, "cluster", null, 1);
      ImportReport first = source.run(START * 1000, (START + 6 * 3600) * 1000);
      assertThat(first.failed()).isEmpty();
      assertThat(first.written()).hasSize(6);
      assertThat(first.clusters()).containsOnlyKeys("east", "north", "west");
      assertThat(store.clusters()).containsExactly("east", "north", "west");
      assertThat(totals(store)).isEqualTo(HISTORY.expected);
      // Nothing of another cluster in the store's own part.
      assertThat(store.totals(Scope.NAMESPACE)).isEmpty();
      assertThat(store.cluster("east").hours().all()).hasSize(6);

      ImportReport again = source.run(START * 1000, (START + 6 * 3600) * 1000);
      assertThat(again.written()).isEmpty();
      assertThat(again.alreadyOwned()).hasSize(6);
      assertThat(totals(store)).isEqualTo(HISTORY.expected);

      // An hour without samples after the clusters' last is settled, not read again and again.
      long quiet = (START + 7 * 3600) * 1000;
      ImportReport tail = source.run((START + 6 * 3600) * 1000, quiet + 3_600_000);
      assertThat(tail.empty()).containsExactly(quiet);
      assertThat(store.cluster("east").hours().of(quiet)).isEqualTo(HourSources.IMPORTED);
      ImportReport settled = source.run((START + 6 * 3600) * 1000, quiet + 3_600_000);
      assertThat(settled.alreadyOwned()).hasSize(2);
    }
  }

  @Test
  void fromPrometheusEveryClustersNamespaceGetsExactlyTheUsageItHad() throws Exception {
    importsExactly(prometheus);
  }

  @Test
  void fromVictoriaMetricsTheSame() throws Exception {
    importsExactly(victoria);
  }

  @Test
  void theImportCommandReadsTheClustersAndNamesABadSource() throws Exception {
    Path data = dir.resolve("cli");
    ChargebackProcess.Run run =
        ChargebackProcess.run(
            dir,
            "import",
            "--source",
            "chargeback",
            "--prometheus-url",
            victoria.url,
            "--start",
            "2026-11-10T00:00:00Z",
            "--end",
            "2026-11-10T06:00:00Z",
            "--data",
            data.toString());
    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output())
        .contains("imported 6 hour(s)")
        .contains("cluster east: 6 hour(s) written")
        .contains("cluster west: 6 hour(s) written");
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(data, false), new BillingCalendar(ZoneId.of("UTC")))) {
      assertThat(totals(store)).isEqualTo(HISTORY.expected);
    }
    ChargebackProcess.Run bad =
        ChargebackProcess.run(
            dir,
            "import",
            "--source",
            "kubecost",
            "--prometheus-url",
            victoria.url,
            "--start",
            "2026-11-10",
            "--end",
            "2026-11-11",
            "--data",
            dir.resolve("bad").toString());
    assertThat(bad.exit()).isNotZero();
    assertThat(bad.output())
        .contains("flag --source: 'kubecost' is not one of cadvisor, chargeback");
    assertThat(bad.output()).doesNotContain("Exception");
  }

  @Test
  void theMeterReadsOtherClustersContinuously() throws Exception {
    // The source reads every closed hour of its lookback: the reference is the same range.
    long now = System.currentTimeMillis();
    long lookbackDays = (now / 1000 - START) / 86_400 + 2;
    Map<List<String>, Long> expected;
    ImportReport wide;
    try (RollupStore reference =
            new RollupStore(
                RocksKeyValueStore.openPrimary(dir.resolve("reference"), false),
                new BillingCalendar(ZoneId.of("UTC")));
        PrometheusApi api = api(prometheus)) {
      wide =
          new ChargebackImport(reference, api, "cluster", null, 1)
              .run(now - lookbackDays * 86_400_000L, now - 300_000);
      expected = totals(reference);
    }
    Path data = dir.resolve("meter");
    Path log = dir.resolve("meter.log");
    Process meter =
        ChargebackProcess.start(
            log,
            "meter",
            "--data",
            data.toString(),
            "--listen",
            "127.0.0.1:0",
            "--kubernetes.discovery",
            "off",
            "--prometheus.url",
            prometheus.url,
            "--prometheus.source",
            "chargeback",
            "--prometheus.lookback",
            lookbackDays + "d");
    try {
      ChargebackProcess.awaitLog(
          meter, log, "imported " + wide.written().size() + " hour(s)", 120_000);
      assertThat(Files.readString(log)).contains("by label cluster");
    } finally {
      meter.destroy();
      assertThat(meter.waitFor(20, TimeUnit.SECONDS)).isTrue();
    }
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(data, false), new BillingCalendar(ZoneId.of("UTC")))) {
      assertThat(totals(store)).isEqualTo(expected);
    }
  }

  /** The default prices, and east priced at twice the CPU and memory. */
  private static final String PRICES =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 10, networkTransmitGib: 150, storageGibHour: 0.2}
          taxRate: 0.10
      clusters:
        east:
          versions:
            - effectiveFrom: "2026-01-01"
              prices: {cpuCoreHour: 90, memoryGibHour: 12, networkReceiveGib: 10, networkTransmitGib: 150, storageGibHour: 0.2}
              taxRate: 0.10
      """;

  private HttpResponse<byte[]> get(HttpClient http, int port, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Test
  void oneBillSumsANamespacesClustersEachAtItsOwnPrices() throws Exception {
    Path data = dir.resolve("central");
    Path prices = dir.resolve("prices.yaml");
    Files.writeString(prices, PRICES);
    try (RollupStore store =
            new RollupStore(
                RocksKeyValueStore.openPrimary(data, false),
                new BillingCalendar(ZoneId.of("UTC")));
        PrometheusApi api = api(prometheus)) {
      ImportReport report =
          new ChargebackImport(
                  store,
                  api,
                  "cluster",
                  MeterRuntime.clusterAccruals(
                      PriceBookLoader.parse(PRICES, "prices"), store.calendar()),
                  1)
              .run(START * 1000, (START + 6 * 3600) * 1000);
      assertThat(report.failed()).isEmpty();
    }
    ObjectMapper json = new ObjectMapper();
    try (Roles.Running exporter = SimulatedExporter.serve(data, prices);
        HttpClient http = HttpClient.newHttpClient()) {
      int port = exporter.port();
      JsonNode all =
          json.readTree(get(http, port, "/bill?ns=default&month=2026-11&format=json").body());
      assertThat(all.get("clusters").properties().stream().map(Map.Entry::getKey).toList())
          .containsExactlyInAnyOrder("east", "north", "west");
      BigDecimal lines = BigDecimal.ZERO;
      for (JsonNode l : all.get("lines")) {
        lines = lines.add(new BigDecimal(l.get("amount").asText()));
        assertThat(l.get("cluster").asText()).isIn("east", "north", "west");
      }
      assertThat(lines).isEqualByComparingTo(new BigDecimal(all.get("subtotal").asText()));
      assertThat(
              new BigDecimal(all.get("subtotal").asText())
                  .subtract(new BigDecimal(all.get("discount").asText()))
                  .add(new BigDecimal(all.get("tax").asText())))
          .isEqualByComparingTo(new BigDecimal(all.get("total").asText()));
      BigDecimal parts = BigDecimal.ZERO;
      BigDecimal totals = BigDecimal.ZERO;
      Map<String, JsonNode> byCluster = new HashMap<>();
      for (String c : List.of("east", "north", "west")) {
        JsonNode one =
            json.readTree(
                get(http, port, "/bill?ns=default&month=2026-11&format=json&cluster=" + c).body());
        byCluster.put(c, one);
        assertThat(one.has("clusters")).isFalse();
        assertThat(new BigDecimal(all.get("clusters").get(c).asText()))
            .isEqualByComparingTo(new BigDecimal(one.get("subtotal").asText()));
        parts = parts.add(new BigDecimal(one.get("subtotal").asText()));
        totals = totals.add(new BigDecimal(one.get("total").asText()));
      }
      assertThat(parts).isEqualByComparingTo(new BigDecimal(all.get("subtotal").asText()));
      assertThat(totals).isEqualByComparingTo(new BigDecimal(all.get("total").asText()));
      // east's own prices: twice the CPU price of the others, for its exact core-hours.
      JsonNode eastCpu = line(byCluster.get("east"), "cpu");
      JsonNode westCpu = line(byCluster.get("west"), "cpu");
      assertThat(new BigDecimal(eastCpu.get("unitPrice").asText()))
          .isEqualByComparingTo(
              new BigDecimal(westCpu.get("unitPrice").asText()).multiply(BigDecimal.TWO));
      assertThat(new BigDecimal(eastCpu.get("quantity").asText()))
          .isEqualByComparingTo(
              BigDecimal.valueOf(HISTORY.expected.get(List.of("east", "default", "CPU")))
                  .movePointLeft(3)
                  .divide(BigDecimal.valueOf(3600), 4, java.math.RoundingMode.HALF_UP));

      // FOCUS: each cluster's rows name it, and the namespace's invoice adds up to its bill.
      String focus =
          new String(
              get(http, port, "/api/v1/focus?month=2026-11&ns=default").body(),
              StandardCharsets.UTF_8);
      List<String> rows = focus.lines().toList();
      List<String> columns = List.of(rows.getFirst().split(","));
      int cluster = columns.indexOf("x_Cluster");
      int billed = columns.indexOf("BilledCost");
      assertThat(cluster).isPositive();
      BigDecimal invoiced = BigDecimal.ZERO;
      java.util.Set<String> named = new java.util.TreeSet<>();
      for (String row : rows.subList(1, rows.size())) {
        String[] cells = row.split(",", -1);
        named.add(cells[cluster]);
        invoiced = invoiced.add(new BigDecimal(cells[billed]));
      }
      assertThat(named).containsExactly("east", "north", "west");
      assertThat(invoiced).isEqualByComparingTo(new BigDecimal(all.get("total").asText()));

      // All namespaces' bills as one sheet: default's lines of its three clusters add up too.
      String sheet =
          new String(
              get(http, port, "/bills?month=2026-11&format=csv").body(), StandardCharsets.UTF_8);
      List<String> defaultRows =
          sheet.lines().filter(r -> r.startsWith("default,") && r.contains(",cpu,")).toList();
      assertThat(defaultRows.stream().map(r -> r.split(",")[11]))
          .containsExactlyInAnyOrder("east", "north", "west");

      // The PDF prints the clusters' subtotals.
      HttpResponse<byte[]> pdf = get(http, port, "/bill?ns=default&month=2026-11");
      assertThat(pdf.statusCode()).isEqualTo(200);
      Path file = dir.resolve("bill.pdf");
      Files.write(file, pdf.body());
      Process text = new ProcessBuilder("pdftotext", "-layout", file.toString(), "-").start();
      String printed = new String(text.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(text.waitFor()).isZero();
      assertThat(printed)
          .contains("By cluster")
          .contains("east")
          .contains("north")
          .contains("west");

      // Namespaces list their clusters; usage of one cluster is that cluster's.
      JsonNode namespaces =
          json.readTree(get(http, port, "/api/v1/namespaces?month=2026-11").body());
      assertThat(namespaces.get("namespaces").findValuesAsText("namespace"))
          .containsExactlyInAnyOrder("default", "team-a");
      assertThat(namespaces.get("namespaces").get(0).get("clusters").size()).isEqualTo(3);
      JsonNode east =
          json.readTree(get(http, port, "/api/v1/namespaces?month=2026-11&cluster=east").body());
      JsonNode eastDefault = east.get("namespaces").get(0);
      assertThat(eastDefault.get("namespace").asText()).isEqualTo("default");
      assertThat(eastDefault.has("clusters")).isFalse();
      assertThat(new BigDecimal(eastDefault.get("subtotal").asText()))
          .isEqualByComparingTo(new BigDecimal(byCluster.get("east").get("subtotal").asText()));
      JsonNode usage =
          json.readTree(
              get(
                      http,
                      port,
                      "/api/v1/usage?ns=team-a&cluster=north&step=1h&from=2026-11-10T00:00:00Z&to=2026-11-10T06:00:00Z")
                  .body());
      double cpu = 0;
      for (JsonNode v : usage.get("series").get("cpu").get("values")) {
        cpu += v.get(1).asDouble();
      }
      assertThat(Resource.CPU.units(cpu))
          .isEqualTo(HISTORY.expected.get(List.of("north", "team-a", "CPU")));
      assertThat(get(http, port, "/bill?ns=default&month=2026-11&cluster=nowhere").statusCode())
          .isEqualTo(404);
      HttpResponse<byte[]> nowhere =
          get(http, port, "/api/v1/usage?ns=default&cluster=nowhere&step=1h");
      assertThat(nowhere.statusCode()).isEqualTo(404);
      assertThat(json.readTree(nowhere.body()).get("error").asText()).contains("nowhere");
      assertThat(get(http, port, "/bill?ns=default&month=2026-11&cluster=").statusCode())
          .isEqualTo(400);
    }
  }

  @Test
  void aClosedMonthsCentralBillIsTheClustersFinalBills() throws Exception {
    try (RollupStore store =
            new RollupStore(
                RocksKeyValueStore.openPrimary(dir.resolve("central"), false),
                new BillingCalendar(ZoneId.of("UTC")));
        PrometheusApi api = api(prometheus)) {
      new ChargebackImport(store, api, "cluster", null, 1)
          .run(START * 1000, (START + 6 * 3600) * 1000);
      InstantSource later = InstantSource.fixed(java.time.Instant.parse("2026-12-10T00:00:00Z"));
      MonthClose.runAll(store, PriceBookLoader.defaults(), Duration.ofHours(72), later);
      for (String c : List.of("east", "north", "west")) {
        assertThat(MonthClose.isClosed(store.cluster(c), YearMonth.of(2026, 11))).as(c).isTrue();
      }
      ClusterBills bills =
          new ClusterBills(store, new Biller(store, PriceBookLoader.defaults(), later), "local");
      Bill bill = bills.bill("default", YearMonth.of(2026, 11));
      assertThat(bill.preliminary()).isFalse();
      assertThat(bill.closing()).isNotNull();
      assertThat(BillJson.tree(bill).get("status").asText()).isEqualTo("final");
      // The same seal however often it is asked for.
      assertThat(bills.bill("default", YearMonth.of(2026, 11)).closing()).isEqualTo(bill.closing());
    }
  }

  private static JsonNode line(JsonNode bill, String resource) {
    for (JsonNode l : bill.get("lines")) {
      if (l.get("resource").asText().equals(resource)) {
        return l;
      }
    }
    throw new AssertionError("no " + resource + " line in " + bill);
  }

  @Test
  void aRestoredBackupIsNotBilledTwiceAndANewStoreCountsFromZero() {
    // What the generated history is, checked against the counters themselves: the restored
    // cluster's counter fell by far more than the usage it lost, and the reinstalled one's to
    // less than a step's use.
    long west = HISTORY.expected.get(List.of("west", "default", Resource.CPU.name()));
    long east = HISTORY.expected.get(List.of("east", "default", Resource.CPU.name()));
    assertThat(west).isPositive();
    assertThat(east).isPositive();
    CounterHistory.Series restored =
        HISTORY.series.stream()
            .filter(s -> s.cluster().equals("west") && s.resource() == Resource.CPU)
            .findFirst()
            .orElseThrow();
    long drop = 0;
    for (int i = 1; i < restored.units().length; i++) {
      drop = Math.max(drop, restored.units()[i - 1] - restored.units()[i]);
    }
    assertThat(drop).isGreaterThan(50 * Resource.CPU.units(0.125));
  }
}
