package dev.chargeback.exporter.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.chargeback.exporter.deploy.ChartRules;
import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.exporter.harness.SimulatedExporter;
import dev.chargeback.exporter.role.Roles;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end: a real Prometheus (Debian's) scrapes the exporter of a simulated cluster in which one
 * namespace overspends its budget, evaluates the chart's rules, and a real Alertmanager (Debian's)
 * delivers the alert, grouped by namespace, to a webhook receiver here. The namespace under budget
 * never alerts.
 */
class BudgetAlertsIT {
  @TempDir Path dir;

  private final ObjectMapper json = new ObjectMapper();
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();
  private final List<Process> processes = new ArrayList<>();
  private HttpServer webhook;
  private Roles.Running exporter;

  @Test
  void anOverspendingNamespaceReachesTheWebhookAndOneUnderBudgetNever() throws Exception {
    // Two simulated days metered at the default prices: team-a costs far more than 1 won.
    exporter =
        SimulatedExporter.start(
            dir,
            book ->
                book
                    + "budgets:\n"
                    + "  - {namespace: team-a, amount: 1}\n"
                    + "  - {namespace: team-b, amount: 1000000000}\n");

    webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    webhook.createContext(
        "/alerts",
        exchange -> {
          received.add(json.readTree(exchange.getRequestBody().readAllBytes()));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    webhook.start();

    int alertmanagerPort = ChargebackProcess.freePort();
    Path amConfig = dir.resolve("alertmanager.yml");
    Files.writeString(
        amConfig,
        """
        route:
          receiver: hook
          group_by: [namespace]
          group_wait: 1s
          group_interval: 1s
          repeat_interval: 1h
        receivers:
          - name: hook
            webhook_configs:
              - url: http://127.0.0.1:%d/alerts
        """
            .formatted(webhook.getAddress().getPort()));
    start(
        "alertmanager",
        "prometheus-alertmanager",
        "--config.file=" + amConfig,
        "--storage.path=" + dir.resolve("am"),
        "--web.listen-address=127.0.0.1:" + alertmanagerPort,
        "--cluster.listen-address=",
        "--log.level=warn");

    // The chart's rules, holding for 0s so that a test need not wait minutes.
    Path rules = ChartRules.write(dir, "0s");
    int prometheusPort = ChargebackProcess.freePort();
    Path promConfig = dir.resolve("prometheus.yml");
    Files.writeString(
        promConfig,
        """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        rule_files: [%s]
        alerting:
          alertmanagers:
            - static_configs:
                - targets: ['127.0.0.1:%d']
        scrape_configs:
          - job_name: chargeback
            static_configs:
              - targets: ['127.0.0.1:%d']
        """
            .formatted(rules, alertmanagerPort, exporter.port()));
    start(
        "prometheus",
        "prometheus",
        "--config.file=" + promConfig,
        "--storage.tsdb.path=" + dir.resolve("tsdb"),
        "--web.listen-address=127.0.0.1:" + prometheusPort,
        "--log.level=warn");

    long deadline = System.currentTimeMillis() + 120_000;
    while (exceeded("team-a") == null) {
      for (Process p : processes) {
        assertThat(p.isAlive()).as("%s is running: %s", p.info().command(), logs()).isTrue();
      }
      assertThat(System.currentTimeMillis())
          .as("the alert to reach the webhook; received %s", received)
          .isLessThan(deadline);
      Thread.sleep(500);
    }
    // A few more evaluations: team-b, far under its budget, never alerts.
    Thread.sleep(5_000);
    JsonNode alert = exceeded("team-a");
    assertThat(alert.at("/labels/severity").asText()).isEqualTo("critical");
    assertThat(alert.at("/annotations/namespace").asText()).isEqualTo("team-a");
    assertThat(alert.at("/annotations/budget").asText()).isEqualTo("1.00");
    assertThat(Double.parseDouble(alert.at("/annotations/cost").asText())).isGreaterThan(1);
    assertThat(alert.at("/annotations/runbook_url").asText()).contains("#budgets-and-alerts");
    for (JsonNode notification : received) {
      // Grouped by namespace: one namespace per notification.
      assertThat(notification.at("/groupLabels").size()).isEqualTo(1);
      assertThat(notification.at("/groupLabels/namespace").asText()).isEqualTo("team-a");
      for (JsonNode a : notification.get("alerts")) {
        assertThat(a.at("/labels/namespace").asText()).isEqualTo("team-a");
      }
    }
  }

  /** The ChargebackBudgetExceeded alert for {@code namespace} the webhook received, or null. */
  private JsonNode exceeded(String namespace) {
    for (JsonNode notification : received) {
      for (JsonNode a : notification.get("alerts")) {
        if (a.at("/labels/alertname").asText().equals("ChargebackBudgetExceeded")
            && a.at("/labels/namespace").asText().equals(namespace)) {
          return a;
        }
      }
    }
    return null;
  }

  private void start(String name, String... command) throws Exception {
    processes.add(
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile())
            .start());
  }

  private String logs() throws Exception {
    StringBuilder out = new StringBuilder();
    for (String name : List.of("alertmanager", "prometheus")) {
      Path log = dir.resolve(name + ".log");
      if (Files.exists(log)) {
        out.append(name).append(": ").append(Files.readString(log)).append('\n');
      }
    }
    return out.toString();
  }

  @AfterEach
  void stop() throws Exception {
    for (Process p : processes) {
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
    }
    if (webhook != null) {
      webhook.stop(0);
    }
    if (exporter != null) {
      exporter.close();
    }
  }
}
