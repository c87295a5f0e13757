package dev.chargeback.exporter.web;

import java.time.YearMonth;
import java.util.List;
import java.util.Map;

/**
 * The overview ({@code /}): a month's namespaces with their costs, the cluster's total and a daily
 * cost chart. Texts are formatted for the reader; {@code *Amount} fields are the plain decimal
 * values the bills carry (the page puts them in {@code data-amount} attributes).
 *
 * @param months the months the picker offers, newest first
 * @param sort the column sorted by; {@code descending} its direction
 * @param selector the label filter as typed ("" for none); {@code selectorError} why it was not
 *     understood, or ""
 * @param labelKeys the label keys that appear on the listed namespaces (the table's columns)
 */
public record OverviewPage(
    Viewer viewer,
    YearMonth month,
    List<YearMonth> months,
    String currency,
    List<Row> rows,
    String totalText,
    String totalAmount,
    String forecastText,
    String coverageText,
    String chart,
    List<Svg.Series> legend,
    String sort,
    boolean descending,
    String selector,
    String selectorError,
    List<String> labelKeys,
    String message) {

  /**
   * One namespace's month.
   *
   * @param changeText against the same days of the previous month, e.g. "+12.5%", or ""
   * @param overBudget the cost, or the forecast, is above the budget
   */
  public record Row(
      String namespace,
      Map<String, String> labels,
      String totalText,
      String totalAmount,
      double share,
      String shareText,
      Double change,
      String changeText,
      String forecastText,
      String forecastAmount,
      String budgetText,
      boolean overBudget,
      boolean preliminary) {

    public String label(String key) {
      return labels.getOrDefault(key, "");
    }
  }

  /** A query string for this page with {@code sort} and direction changed, the rest kept. */
  public String sortLink(String column) {
    boolean desc = column.equals(sort) ? !descending : !column.equals("namespace");
    return "?month="
        + month
        + "&sort="
        + column
        + "&order="
        + (desc ? "desc" : "asc")
        + (selector.isEmpty() ? "" : "&label=" + Pages.url(selector));
  }

  /** The arrow beside a column's name when the table is sorted by it. */
  public String arrow(String column) {
    return column.equals(sort) ? (descending ? " ▼" : " ▲") : "";
  }

  /** The value of {@code aria-sort} for a column header. */
  public String ariaSort(String column) {
    return column.equals(sort) ? (descending ? "descending" : "ascending") : "none";
  }
}
