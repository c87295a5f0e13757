package dev.chargeback.exporter.web;

import java.time.YearMonth;
import java.util.List;
import java.util.Map;

/**
 * A namespace's month ({@code /ns/NAME}): its bill's lines and totals as on the PDF, daily usage
 * and cost charts, top workloads, the prices in force, the days not fully observed and the
 * downloads.
 *
 * @param status "preliminary" or "final"; {@code closing} when and with what hash it became final
 * @param charges the bill's lines, then its subtotal, discount, tax, shares and corrections
 * @param totalAmount the total as the JSON bill writes it
 * @param usageCharts per resource: its title and SVG
 * @param gaps days observed less than fully, e.g. "2026-11-03: 91.7% observed"
 */
public record NamespacePage(
    Viewer viewer,
    String namespace,
    YearMonth month,
    List<YearMonth> months,
    Map<String, String> labels,
    String billNumber,
    String period,
    String status,
    String closing,
    String currency,
    List<Charge> charges,
    String totalText,
    String totalAmount,
    String forecastText,
    String previousText,
    String budgetText,
    String coverageText,
    List<String> notes,
    String costChart,
    List<Svg.Series> costLegend,
    List<Chart> usageCharts,
    List<Workload> workloads,
    List<Version> versions,
    List<String> gaps,
    Map<String, String> downloads) {

  /**
   * A row of the charges table.
   *
   * @param quantity, unit, unitPrice empty on total rows
   * @param amount the plain decimal value (data-amount)
   */
  public record Charge(
      String item,
      String quantity,
      String unit,
      String unitPrice,
      String amountText,
      String amount,
      boolean summary) {}

  public record Chart(String title, String svg) {}

  public record Workload(String name, String amountText, String amount) {}

  /** A price version in force in the month: from when, and its unit prices as text. */
  public record Version(String from, List<String> prices) {}
}
