package dev.chargeback.exporter.alerts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.deploy.ChartRules;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's budget alerts under {@code promtool test rules}: each fires where it must, after its
 * hold time, with the namespace, cost and budget, and never for a namespace under budget.
 */
class BudgetRulesIT {
  @TempDir Path dir;

  private static final String RUNBOOK =
      "https://github.com/chargeback/chargeback/blob/main/README.md#budgets-and-alerts";

  /** An expected alert, with every annotation: the namespace, its cost and its budget. */
  private static String alert(
      String name, String ns, String severity, String summary, String cost, String description) {
    return """
                  - exp_labels: {alertname: %s, severity: %s, namespace: %s, currency: KRW}
                    exp_annotations:
                      summary: "%s"
                      description: "%s"
                      namespace: "%s"
                      cost: "%s"
                      budget: "1000.00"
                      runbook_url: "%s"
        """
        .formatted(name, severity, ns, summary, description, ns, cost, RUNBOOK);
  }

  private static String spent(String cost) {
    return "Month to date " + cost + " KRW (before tax) against a budget of 1000.00.";
  }

  private static String forecast(String cost) {
    return "Month-end forecast "
        + cost
        + " KRW (before tax: month to date plus the average daily cost of the last complete"
        + " days, up to 7, times the days left).";
  }

  @Test
  void budgetAlertsFireWhereTheyMustAndNowhereElse() throws Exception {
    Path rules = ChartRules.write(dir, "5m");
    // a: 85% of its budget (warning); b: 120% (both); c: 10% and forecast under; d: 30%, forecast
    // 150% (forecast only); e: no budget at all, however much it costs.
    String series =
        """
              - {series: 'chargeback_cost_per_namespace{namespace="a",currency="KRW",resource="cpu"}', values: '500x20'}
              - {series: 'chargeback_cost_per_namespace{namespace="a",currency="KRW",resource="memory"}', values: '350x20'}
              - {series: 'chargeback_cost_forecast{namespace="a",currency="KRW",resource="cpu"}', values: '900x20'}
              - {series: 'chargeback_budget{namespace="a",currency="KRW"}', values: '1000x20'}
              - {series: 'chargeback_cost_per_namespace{namespace="b",currency="KRW",resource="cpu"}', values: '1200x20'}
              - {series: 'chargeback_cost_forecast{namespace="b",currency="KRW",resource="cpu"}', values: '2000x20'}
              - {series: 'chargeback_budget{namespace="b",currency="KRW"}', values: '1000x20'}
              - {series: 'chargeback_cost_per_namespace{namespace="c",currency="KRW",resource="cpu"}', values: '100x20'}
              - {series: 'chargeback_cost_forecast{namespace="c",currency="KRW",resource="cpu"}', values: '500x20'}
              - {series: 'chargeback_budget{namespace="c",currency="KRW"}', values: '1000x20'}
              - {series: 'chargeback_cost_per_namespace{namespace="d",currency="KRW",resource="cpu"}', values: '300x20'}
              - {series: 'chargeback_cost_forecast{namespace="d",currency="KRW",resource="cpu"}', values: '1500x20'}
              - {series: 'chargeback_budget{namespace="d",currency="KRW"}', values: '1000x20'}
              - {series: 'chargeback_cost_per_namespace{namespace="e",currency="KRW",resource="cpu"}', values: '99999x20'}
              - {series: 'chargeback_cost_forecast{namespace="e",currency="KRW",resource="cpu"}', values: '99999x20'}
        """;
    String warning = "NS has spent more than 80% of its monthly budget";
    String exceeded = "NS has spent more than 100% of its monthly budget";
    String forecasting = "NS is forecast to end the month over its budget";
    String tests =
        """
        rule_files: [%s]
        evaluation_interval: 1m
        tests:
          - interval: 1m
            input_series:
        %s
            alert_rule_test:
              # Not yet: the condition must hold for 5 minutes.
              - {eval_time: 3m, alertname: ChargebackBudgetWarning, exp_alerts: []}
              - eval_time: 10m
                alertname: ChargebackBudgetWarning
                exp_alerts:
        %s%s
              - eval_time: 10m
                alertname: ChargebackBudgetExceeded
                exp_alerts:
        %s
              - eval_time: 10m
                alertname: ChargebackForecastOverBudget
                exp_alerts:
        %s%s
        """
            .formatted(
                rules.getFileName(),
                series,
                alert(
                    "ChargebackBudgetWarning",
                    "a",
                    "warning",
                    warning.replace("NS", "a"),
                    "850.00",
                    spent("850.00")),
                alert(
                    "ChargebackBudgetWarning",
                    "b",
                    "warning",
                    warning.replace("NS", "b"),
                    "1200.00",
                    spent("1200.00")),
                alert(
                    "ChargebackBudgetExceeded",
                    "b",
                    "critical",
                    exceeded.replace("NS", "b"),
                    "1200.00",
                    spent("1200.00")),
                alert(
                    "ChargebackForecastOverBudget",
                    "b",
                    "warning",
                    forecasting.replace("NS", "b"),
                    "2000.00",
                    forecast("2000.00")),
                alert(
                    "ChargebackForecastOverBudget",
                    "d",
                    "warning",
                    forecasting.replace("NS", "d"),
                    "1500.00",
                    forecast("1500.00")));
    Path file = dir.resolve("budget-tests.yml");
    Files.writeString(file, tests);
    Process p =
        new ProcessBuilder("promtool", "test", "rules", file.getFileName().toString())
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    assertThat(out).contains("SUCCESS");
  }
}
