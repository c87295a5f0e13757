package dev.chargeback.exporter.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.meter.exposition.ExpositionParser;
import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.exposition.ParserLimits;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile values (quotes, backslashes, newlines, control characters, formula triggers, Hangul, a
 * 4,000-character name) in a scraped target's namespaces, pod names and images, and in namespace
 * labels from the Kubernetes API (a fake API server: a real one would refuse most of them), travel
 * through the real program and come out exactly, correctly escaped, in /metrics, JSON, CSV and the
 * PDF.
 */
class HostileValuesIT {
  private static final String NAMESPACE = "team-\"q\"\\back\nline\u0001=1+2";
  private static final String QUOTED_POD = "api-\"x\"\\y\nz-7d4b9c8f5-x2kqp";
  private static final String HANGUL_POD = "결제-서비스-0";
  private static final String FORMULA_POD = "=HYPERLINK(\"http://evil\")";
  private static final String LONG_POD = "long-" + "a".repeat(4000);
  private static final String IMAGE = "registry.example/결제:\"v1\"\\\n=cmd|' /C calc'!A0";
  private static final String TEAM = "결제 \"팀\", back\\slash\nline";
  private static final String COST_CENTER = "=HYPERLINK(\"http://evil\",\"x\")";

  @TempDir Path dir;

  private static String escape(String v) {
    StringBuilder out = new StringBuilder();
    Labels.escapeTo(v, out);
    return out.toString();
  }

  private static String body(long millis) {
    double t = millis / 1000.0;
    StringBuilder out = new StringBuilder("# TYPE container_cpu_usage_seconds_total counter\n");
    List<String[]> containers =
        List.of(
            new String[] {NAMESPACE, "web-5d8f7c9b6-p7znm"},
            new String[] {"team-a", QUOTED_POD},
            new String[] {"team-a", HANGUL_POD},
            new String[] {"team-a", FORMULA_POD},
            new String[] {"team-a", LONG_POD});
    int i = 0;
    for (String[] c : containers) {
      out.append("container_cpu_usage_seconds_total{container=\"app\",id=\"/pod")
          .append(i++)
          .append("\",namespace=\"")
          .append(escape(c[0]))
          .append("\",image=\"")
          .append(escape(IMAGE))
          .append("\",pod=\"")
          .append(escape(c[1]))
          .append("\"} ")
          .append(5000.0 * i * t) // thousands of cores: every workload costs whole won in seconds
          .append(' ')
          .append(millis)
          .append('\n');
    }
    return out.toString();
  }

  @Test
  void hostileValuesComeOutExactlyAndEscaped() throws Exception {
    HttpServer target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    target.createContext(
        "/metrics/cadvisor",
        exchange -> {
          byte[] b = body(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, b.length);
          try (OutputStream o = exchange.getResponseBody()) {
            o.write(b);
          }
        });
    target.start();
    KubernetesMockServer api = kubernetesApi();
    int port = ChargebackProcess.freePort();
    Path log = dir.resolve("standalone.log");
    Process standalone =
        ChargebackProcess.start(
            log,
            "standalone",
            "--data",
            dir.resolve("data").toString(),
            "--listen",
            "127.0.0.1:" + port,
            "--kubernetes.discovery",
            "on",
            "--kubernetes.kubeconfig",
            kubeconfig(api).toString(),
            "--kubernetes.namespace-labels",
            "team,cost-center",
            "--scrape-interval",
            "1s",
            "--target",
            "cadvisor=http://127.0.0.1:" + target.getAddress().getPort() + "/metrics/cadvisor");
    String base = "http://127.0.0.1:" + port;
    try (HttpClient http = HttpClient.newHttpClient()) {
      ObjectMapper json = new ObjectMapper();
      JsonNode namespaces = null;
      long deadline = System.currentTimeMillis() + 60_000;
      while (true) {
        assertThat(standalone.isAlive()).as(Files.readString(log)).isTrue();
        try {
          HttpResponse<byte[]> r =
              http.send(
                  HttpRequest.newBuilder(URI.create(base + "/api/v1/namespaces")).build(),
                  HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() == 200) {
            namespaces = json.readTree(r.body());
            if (namespaces.get("namespaces").size() >= 2) {
              break;
            }
          }
        } catch (java.io.IOException e) {
          // starting
        }
        assertThat(System.currentTimeMillis()).as(Files.readString(log)).isLessThan(deadline);
        Thread.sleep(300);
      }
      Thread.sleep(3000); // a few more scrapes, so every workload has cost

      Set<String> listed = new HashSet<>();
      namespaces.get("namespaces").forEach(n -> listed.add(n.get("namespace").asText()));
      assertThat(listed).contains(NAMESPACE, "team-a");

      // /metrics parses back, with the hostile namespace exactly as scraped.
      byte[] metrics =
          http.send(
                  HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                  HttpResponse.BodyHandlers.ofByteArray())
              .body();
      Set<String> seen = new HashSet<>();
      new ExpositionParser(ParserLimits.DEFAULT)
          .parse(
              metrics,
              Format.TEXT,
              s -> {
                String ns = s.labels().get("namespace");
                if (!ns.isEmpty()) {
                  seen.add(ns);
                }
              });
      assertThat(seen).contains(NAMESPACE);
      String text = new String(metrics, StandardCharsets.UTF_8);
      // Quotes, backslashes and newlines escaped; other characters pass through as UTF-8.
      assertThat(text).contains("namespace=\"team-\\\"q\\\"\\\\back\\nline\u0001=1+2\"");
      Process promtool =
          new ProcessBuilder("promtool", "check", "metrics")
              .redirectInput(ProcessBuilder.Redirect.PIPE)
              .redirectErrorStream(true)
              .start();
      try (OutputStream in = promtool.getOutputStream()) {
        in.write(metrics);
      }
      String promtoolSays =
          new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      promtool.waitFor(30, TimeUnit.SECONDS);
      assertThat(promtoolSays).doesNotContain("error while linting").doesNotContain("parse error");

      // The JSON bill names every workload exactly.
      JsonNode bill =
          json.readTree(
              http.send(
                      HttpRequest.newBuilder(URI.create(base + "/bill?ns=team-a&format=json"))
                          .build(),
                      HttpResponse.BodyHandlers.ofByteArray())
                  .body());
      List<String> workloads = new ArrayList<>();
      bill.get("topWorkloads").forEach(w -> workloads.add(w.get("workload").asText()));
      assertThat(workloads).contains("Pod/" + FORMULA_POD, "StatefulSet/결제-서비스", "Pod/" + LONG_POD);
      assertThat(workloads).anyMatch(w -> w.contains("\"x\"\\y\nz"));
      assertThat(bill.get("labels").get("team").asText()).isEqualTo(TEAM);
      assertThat(bill.get("labels").get("cost-center").asText()).isEqualTo(COST_CENTER);

      // CSV: every cell parses back exactly (RFC 4180), and none starts a formula.
      String csv =
          http.send(
                  HttpRequest.newBuilder(URI.create(base + "/bill?ns=team-a&format=csv")).build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      List<List<String>> rows = csv(csv);
      assertThat(rows.get(0)).last().isEqualTo("labels");
      assertThat(rows).hasSize(1 + bill.get("lines").size());
      for (List<String> row : rows.subList(1, rows.size())) {
        assertThat(row).hasSize(rows.get(0).size());
        assertThat(row.getLast()).isEqualTo("cost-center=" + COST_CENTER + "; team=" + TEAM);
        assertThat(row)
            .noneMatch(cell -> !cell.isEmpty() && "=+-@\t\r".indexOf(cell.charAt(0)) >= 0);
      }

      // The PDF draws the Hangul name (Nanum fonts) and survives the rest.
      HttpResponse<byte[]> pdf =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/bill?ns=team-a")).build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(pdf.statusCode()).isEqualTo(200);
      Path file = dir.resolve("bill.pdf");
      Files.write(file, pdf.body());
      Process pdftotext =
          new ProcessBuilder("pdftotext", "-layout", file.toString(), "-")
              .redirectErrorStream(true)
              .start();
      String pdfText =
          new String(pdftotext.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      pdftotext.waitFor(30, TimeUnit.SECONDS);
      assertThat(pdfText)
          .contains("StatefulSet/결제-서비스")
          .contains("HYPERLINK")
          .contains("결제 \"팀\", back\\slash");
    } finally {
      standalone.destroy();
      standalone.waitFor(20, TimeUnit.SECONDS);
      target.stop(0);
      api.destroy();
    }
  }

  /** A fake API server whose namespace team-a carries hostile label values. */
  private static KubernetesMockServer kubernetesApi() {
    var responses =
        new java.util.HashMap<
            io.fabric8.mockwebserver.ServerRequest,
            java.util.Queue<io.fabric8.mockwebserver.ServerResponse>>();
    KubernetesMockServer api =
        new KubernetesMockServer(
            new io.fabric8.mockwebserver.Context(),
            new io.fabric8.mockwebserver.MockWebServer(),
            responses,
            new io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher(responses),
            true);
    api.init(java.net.InetAddress.getLoopbackAddress(), 0);
    try (var admin = api.createClient()) {
      admin
          .namespaces()
          .resource(
              new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                  .withNewMetadata()
                  .withName("team-a")
                  .addToLabels("team", TEAM)
                  .addToLabels("cost-center", COST_CENTER)
                  .endMetadata()
                  .build())
          .create();
    }
    return api;
  }

  private Path kubeconfig(KubernetesMockServer api) throws java.io.IOException {
    return Files.writeString(
        dir.resolve("kubeconfig"),
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: fake
          cluster: {server: "%s", insecure-skip-tls-verify: true}
        users:
        - name: reader
          user: {token: reader-token}
        contexts:
        - name: fake
          context: {cluster: fake, user: reader}
        current-context: fake
        """
            .formatted(api.url("/")));
  }

  /** RFC 4180 rows: quoted cells may hold commas, doubled quotes and line breaks. */
  private static List<List<String>> csv(String text) {
    List<List<String>> rows = new ArrayList<>();
    List<String> row = new ArrayList<>();
    StringBuilder cell = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
          cell.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cell.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        row.add(cell.toString());
        cell.setLength(0);
      } else if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
        row.add(cell.toString());
        cell.setLength(0);
        rows.add(row);
        row = new ArrayList<>();
        i++;
      } else {
        cell.append(c);
      }
    }
    return rows;
  }
}
