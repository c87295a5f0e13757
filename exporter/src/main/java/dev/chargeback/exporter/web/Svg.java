package dev.chargeback.exporter.web;

import dev.chargeback.meter.bill.BillCharts;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleFunction;

/**
 * Charts as inline SVG, drawn on the server: no script, no chart library, nothing fetched from
 * elsewhere. Each bar carries a {@code <title>} (a tooltip, and what a screen reader says).
 */
public final class Svg {
  /** The PDF's palette, so a namespace has the same colour on the page as on its bill. */
  public static final List<String> PALETTE =
      List.of("#2f6bb3", "#e08a2e", "#3a9e6f", "#b84a62", "#7d5ba6", "#8c8c8c", "#4aa3b8");

  /** One stacked series: its name, colour and a value per bar. */
  public record Series(String name, String color, double[] values) {}

  private static final int WIDTH = 720;
  private static final int HEIGHT = 220;
  private static final int LEFT = 56;
  private static final int BOTTOM = 24;
  private static final int TOP = 8;

  private Svg() {}

  /**
   * Stacked bars, one per label (e.g. a month's days), the series stacked in order.
   *
   * @param title what the chart shows (its accessible name)
   * @param value how a value reads in a tooltip
   * @param axis how a value reads on the axis
   */
  public static String stackedBars(
      String title,
      List<String> labels,
      List<Series> series,
      DoubleFunction<String> value,
      DoubleFunction<String> axis) {
    int n = labels.size();
    double max = 0;
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (Series s : series) {
        sum += Math.max(0, s.values()[i]);
      }
      max = Math.max(max, sum);
    }
    double top = niceCeiling(max);
    double plotW = WIDTH - LEFT - 8;
    double plotH = HEIGHT - TOP - BOTTOM;
    StringBuilder svg = new StringBuilder(4096 + n * series.size() * 120);
    svg.append("<svg class=\"chart\" viewBox=\"0 0 ")
        .append(WIDTH)
        .append(' ')
        .append(HEIGHT)
        .append("\" role=\"img\" aria-label=\"")
        .append(escape(title))
        .append("\" xmlns=\"http://www.w3.org/2000/svg\"><title>")
        .append(escape(title))
        .append("</title>");
    for (int g = 0; g <= 4; g++) {
      double y = TOP + plotH - plotH * g / 4;
      svg.append("<line class=\"grid\" x1=\"")
          .append(LEFT)
          .append("\" x2=\"")
          .append(WIDTH - 8)
          .append("\" y1=\"")
          .append(fmt(y))
          .append("\" y2=\"")
          .append(fmt(y))
          .append("\"/><text class=\"axis\" x=\"")
          .append(LEFT - 6)
          .append("\" y=\"")
          .append(fmt(y + 4))
          .append("\" text-anchor=\"end\">")
          .append(escape(axis.apply(top * g / 4)))
          .append("</text>");
    }
    double slot = n == 0 ? plotW : plotW / n;
    // A bar is at most 40 units wide: a month's first day is one bar, not a wall.
    double bar = Math.min(40, Math.max(1, slot * 0.72));
    int every = Math.max(1, (int) Math.ceil(n / 10.0));
    for (int i = 0; i < n; i++) {
      double x = LEFT + i * slot + (slot - bar) / 2;
      double base = TOP + plotH;
      for (Series s : series) {
        double v = Math.max(0, s.values()[i]);
        if (v <= 0 || top <= 0) {
          continue;
        }
        double h = plotH * v / top;
        base -= h;
        svg.append("<rect x=\"")
            .append(fmt(x))
            .append("\" y=\"")
            .append(fmt(base))
            .append("\" width=\"")
            .append(fmt(bar))
            .append("\" height=\"")
            .append(fmt(h))
            .append("\" fill=\"")
            .append(s.color())
            .append("\"><title>")
            .append(escape(labels.get(i) + " · " + s.name() + ": " + value.apply(v)))
            .append("</title></rect>");
      }
      if (i % every == 0) {
        svg.append("<text class=\"axis\" x=\"")
            .append(fmt(x + bar / 2))
            .append("\" y=\"")
            .append(HEIGHT - 6)
            .append("\" text-anchor=\"middle\">")
            .append(escape(labels.get(i)))
            .append("</text>");
      }
    }
    return svg.append("</svg>").toString();
  }

  /** The chart's top: a nice number ({@link BillCharts#nice}) at least {@code v}, or 1. */
  static double niceCeiling(double v) {
    return v <= 0 ? 1 : BillCharts.nice(v);
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** Text for SVG and HTML: {@code & < > " '} escaped. */
  public static String escape(String s) {
    StringBuilder out = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
