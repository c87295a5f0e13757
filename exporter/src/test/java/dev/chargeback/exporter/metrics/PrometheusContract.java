package dev.chargeback.exporter.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.chargeback.exporter.harness.SimulatedExporter;
import dev.chargeback.exporter.role.Roles;
import java.io.InputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's binary) finds the exporter through the pod's scrape annotations and
 * the usual relabelling, with the pod's discovery labels served by {@code http_sd_configs} (Debian
 * builds Prometheus without {@code kubernetes_sd_configs}; {@code PrometheusContainerIT} is the
 * twin with the real thing). Then its answers are checked against the store, the bills and every
 * PromQL expression of the Grafana dashboard.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class PrometheusContract {
  @TempDir static Path dir;

  /** The usual annotation-driven relabelling of a {@code kubernetes-pods} job. */
  static final String RELABELLING =
      """
          relabel_configs:
            - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]
              action: keep
              regex: "true"
            - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]
              action: replace
              target_label: __metrics_path__
              regex: (.+)
            - source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]
              action: replace
              regex: ([^:]+)(?::\\d+)?;(\\d+)
              replacement: $1:$2
              target_label: __address__
            - action: labelmap
              regex: __meta_kubernetes_pod_label_(.+)
            - source_labels: [__meta_kubernetes_namespace]
              target_label: namespace
            - source_labels: [__meta_kubernetes_pod_name]
              target_label: pod
      """;

  /** A Prometheus configuration scraping every second with this service discovery. */
  static String config(String discovery) {
    return """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: kubernetes-pods
            honor_labels: true
        """
        + discovery
        + RELABELLING;
  }

  final HttpClient http = HttpClient.newHttpClient();
  final ObjectMapper json = new ObjectMapper();
  Roles.Running exporter;

  /** Starts Prometheus scraping the exporter; it answers on {@link #prometheusUrl()}. */
  abstract void startPrometheus() throws Exception;

  abstract String prometheusUrl();

  abstract boolean prometheusAlive();

  abstract void stopPrometheus() throws Exception;

  /** The {@code instance} label Prometheus gives the exporter. */
  abstract String expectedInstance();

  /** The pod the chart renders, as YAML. */
  JsonNode pod() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/exporter-pod.yaml")) {
      return new ObjectMapper(new YAMLFactory()).readTree(in);
    }
  }

  @BeforeAll
  void start() throws Exception {
    // The default prices, with kube-system's cost spread to the other namespaces.
    exporter =
        SimulatedExporter.start(
            dir,
            book ->
                book.replace("    shared: {}", "    shared: {kube-system: proportional}")
                    + "budgets:\n  - {namespace: team-a, amount: 1000000}\n");

    startPrometheus();
    long deadline = System.currentTimeMillis() + 90_000;
    while (query("chargeback_cost_per_namespace").size() == 0
        || query("count_over_time(chargeback_meter_up[1m]) >= 5").size() == 0) {
      assertThat(prometheusAlive()).as("Prometheus is running").isTrue();
      assertThat(System.currentTimeMillis())
          .as("Prometheus to scrape the exporter")
          .isLessThan(deadline);
      Thread.sleep(500);
    }
  }

  @AfterAll
  void stop() throws Exception {
    stopPrometheus();
    if (exporter != null) {
      exporter.close();
    }
  }

  private JsonNode query(String promql) throws Exception {
    URI uri =
        URI.create(
            prometheusUrl()
                + "/api/v1/query?query="
                + URLEncoder.encode(promql, StandardCharsets.UTF_8));
    HttpResponse<String> r;
    try {
      r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    } catch (java.io.IOException notListeningYet) {
      return json.createArrayNode();
    }
    if (r.statusCode() != 200) {
      return json.createArrayNode();
    }
    return json.readTree(r.body()).at("/data/result");
  }

  private String get(int port, String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void prometheusFindsTheExporterByAnnotationsAndKeepsItsNamespaceLabel() throws Exception {
    JsonNode up = query("up{job=\"kubernetes-pods\"}");
    assertThat(up).hasSize(1);
    assertThat(up.get(0).at("/metric/instance").asText()).isEqualTo(expectedInstance());
    assertThat(up.get(0).at("/value/1").asText()).isEqualTo("1");
    // honor_labels: the billed namespace stays `namespace`, never `exported_namespace`.
    JsonNode costs = query("chargeback_cost_per_namespace");
    List<String> namespaces = new ArrayList<>();
    costs.forEach(s -> namespaces.add(s.at("/metric/namespace").asText()));
    assertThat(namespaces).contains("default", "team-a", "team-b").doesNotContain("chargeback");
    assertThat(query("{exported_namespace!=\"\"}")).isEmpty();
    assertThat(query("chargeback_meter_up").get(0).at("/metric/namespace").asText())
        .isEqualTo("chargeback");
  }

  @Test
  void prometheusValuesMatchTheStoreAndTheBills() throws Exception {
    double sharesOnBills = 0;
    for (String ns : List.of("default", "team-a", "team-b")) {
      double monthToDate =
          query(
                  "sum(chargeback_cost_per_namespace{namespace=\""
                      + ns
                      + "\",resource!~\"shared:.*|spread\"})")
              .get(0)
              .at("/value/1")
              .asDouble();
      JsonNode bill = json.readTree(get(exporter.port(), "/bill?ns=" + ns + "&format=json"));
      BigDecimal afterDiscount =
          new BigDecimal(bill.get("subtotal").asText())
              .subtract(new BigDecimal(bill.get("discount").asText()));
      // The bill rounds each line to a won; the metric is unrounded.
      assertThat(monthToDate)
          .as(ns)
          .isCloseTo(
              afterDiscount.doubleValue(),
              org.assertj.core.data.Offset.offset(bill.get("lines").size() * 0.5 + 0.5));
      // kube-system's share: the bill's is after kube-system's tax (10 %), the metric's before.
      double metricShare =
          query(
                  "chargeback_cost_per_namespace{namespace=\""
                      + ns
                      + "\",resource=\"shared:kube-system\"}")
              .get(0)
              .at("/value/1")
              .asDouble();
      double billShare = 0;
      for (JsonNode share : bill.get("shares")) {
        if (share.get("item").asText().equals("shared:kube-system")) {
          billShare = share.get("amount").asDouble();
        }
      }
      // A small tenant's share of kube-system's few won can round to 0 beside ml's GPUs; the
      // shares together are not.
      sharesOnBills += billShare;
      assertThat(metricShare * 1.10)
          .as(ns)
          .isCloseTo(billShare, org.assertj.core.data.Offset.offset(1.5));
      String exported = get(exporter.port(), "/metrics");
      double cpu =
          query("chargeback_usage_cpu_seconds_total{namespace=\"" + ns + "\"}")
              .get(0)
              .at("/value/1")
              .asDouble();
      // What Prometheus stored is exactly what the exporter wrote.
      String series = "chargeback_usage_cpu_seconds_total{namespace=\"" + ns + "\"} ";
      assertThat(exported).contains(series);
      int at = exported.indexOf(series) + series.length();
      assertThat(Double.parseDouble(exported.substring(at, exported.indexOf('\n', at))))
          .isEqualTo(cpu);
    }
    assertThat(sharesOnBills).as("kube-system's shares on the tenants' bills").isPositive();
    // ml's GPUs: the metric's month to date is its bill's GPU lines, before tax (one won a line).
    double gpu =
        query("sum(chargeback_cost_per_namespace{namespace=\"ml\",resource=\"gpu\"})")
            .at("/0/value/1")
            .asDouble();
    JsonNode ml = json.readTree(get(exporter.port(), "/bill?ns=ml&format=json"));
    BigDecimal gpuLines = BigDecimal.ZERO;
    int count = 0;
    for (JsonNode line : ml.get("lines")) {
      if (line.get("resource").asText().equals("gpu")) {
        gpuLines = gpuLines.add(new BigDecimal(line.get("amount").asText()));
        count++;
      }
    }
    assertThat(count).as("ml's GPU lines").isEqualTo(2);
    assertThat(gpu)
        .isCloseTo(gpuLines.doubleValue(), org.assertj.core.data.Offset.offset(count * 0.5));
    assertThat(
            query("chargeback_price{resource=\"cpu\",unit=\"core_hour\",currency=\"KRW\"}")
                .get(0)
                .at("/value/1")
                .asDouble())
        .isEqualTo(45.0);
  }

  @Test
  void promtoolFindsNoProblemInMetrics() throws Exception {
    Path body = dir.resolve("metrics.txt");
    Files.writeString(body, get(exporter.port(), "/metrics"));
    Process p =
        new ProcessBuilder("promtool", "check", "metrics")
            .redirectInput(body.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).isBlank();
  }

  @Test
  void sharedCostsShowAsResourcesOfTheirOwnAndAddUp() throws Exception {
    double cluster = query("sum(chargeback_cost_per_namespace)").at("/0/value/1").asDouble();
    JsonNode perNamespace = query("sum by (namespace) (chargeback_cost_per_namespace)");
    Map<String, Double> net = new java.util.TreeMap<>();
    perNamespace.forEach(
        r -> net.put(r.at("/metric/namespace").asText(), r.at("/value/1").asDouble()));
    // kube-system nets to zero; what it spread is on the others.
    assertThat(net.get("kube-system")).isCloseTo(0, within(0.5));
    assertThat(query("chargeback_cost_per_namespace{resource=\"shared:kube-system\"}").size())
        .isEqualTo(net.size() - 1);
    // The dashboard's by-resource pie: shares as their own slices, no negative one, same total.
    JsonNode dashboard = json.readTree(Path.of("../chart/dashboards/chargeback.json").toFile());
    String pie = null;
    for (JsonNode panel : dashboard.get("panels")) {
      if (panel.get("title").asText().equals("Month-to-date cost by resource")) {
        pie = panel.at("/targets/0/expr").asText().replace("$namespace", ".+");
      }
    }
    Map<String, Double> slices = new java.util.TreeMap<>();
    query(pie)
        .forEach(r -> slices.put(r.at("/metric/resource").asText(), r.at("/value/1").asDouble()));
    assertThat(slices).containsKey("shared:kube-system").doesNotContainKey("spread");
    assertThat(slices.values()).allMatch(v -> v >= 0);
    assertThat(slices.values().stream().mapToDouble(Double::doubleValue).sum())
        .isCloseTo(cluster, within(1e-6 * Math.max(1, cluster)));
  }

  @Test
  void everyDashboardExpressionIsValidAndReturnsData() throws Exception {
    JsonNode dashboard = json.readTree(Path.of("../chart/dashboards/chargeback.json").toFile());
    List<String> exprs = new ArrayList<>();
    dashboard
        .get("panels")
        .forEach(
            p ->
                p.get("targets")
                    .forEach(
                        t ->
                            exprs.add(
                                t.get("expr")
                                    .asText()
                                    .replace("$namespace", ".+")
                                    .replace("$__range", "30d")
                                    .replace("$__rate_interval", "5m"))));
    assertThat(exprs).hasSizeGreaterThanOrEqualTo(18);
    assertThat(dashboard.at("/templating/list/1/query/query").asText())
        .isEqualTo("label_values(chargeback_cost_per_namespace, namespace)");
    StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
    for (int i = 0; i < exprs.size(); i++) {
      rules
          .append("      - record: dashboard:expr")
          .append(i)
          .append("\n        expr: '")
          .append(exprs.get(i).replace("'", "''"))
          .append("'\n");
    }
    Path file = dir.resolve("dashboard-rules.yml");
    Files.writeString(file, rules);
    Process p =
        new ProcessBuilder("promtool", "check", "rules", file.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    for (String expr : exprs) {
      assertThat(query(expr)).as(expr).isNotEmpty();
    }
  }
}
