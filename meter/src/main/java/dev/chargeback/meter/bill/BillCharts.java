package dev.chargeback.meter.bill;

import static dev.chargeback.meter.bill.BillPdf.INK;
import static dev.chargeback.meter.bill.BillPdf.MUTED;
import static dev.chargeback.meter.bill.BillPdf.PALETTE;
import static dev.chargeback.meter.bill.BillPdf.RULE;
import static dev.chargeback.meter.bill.BillPdf.number;
import static dev.chargeback.meter.bill.BillPdf.percent;

import java.awt.Color;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openpdf.text.BadElementException;
import org.openpdf.text.Element;
import org.openpdf.text.Image;
import org.openpdf.text.Rectangle;
import org.openpdf.text.pdf.BaseFont;
import org.openpdf.text.pdf.PdfContentByte;
import org.openpdf.text.pdf.PdfPCell;
import org.openpdf.text.pdf.PdfPTable;
import org.openpdf.text.pdf.PdfTemplate;

/** A bill's charts as vector graphics: daily usage per resource and the cost share. */
public final class BillCharts {
  /** The daily charts: title and the resources each plots. */
  private static final Map<String, List<BillResource>> DAILY = orderedCharts();

  private final BaseFont regular;
  private final BaseFont bold;

  BillCharts(BaseFont regular, BaseFont bold) {
    this.regular = regular;
    this.bold = bold;
  }

  private static Map<String, List<BillResource>> orderedCharts() {
    Map<String, List<BillResource>> charts = new LinkedHashMap<>();
    charts.put("CPU (core-hours per day)", List.of(BillResource.CPU));
    charts.put("Memory (GiB-hours per day)", List.of(BillResource.MEMORY));
    charts.put(
        "Network (GiB per day: received, transmitted)",
        List.of(BillResource.NETWORK_RECEIVE, BillResource.NETWORK_TRANSMIT));
    charts.put("Storage (GiB-hours per day)", List.of(BillResource.STORAGE));
    return charts;
  }

  /** The daily usage charts, two by two. */
  PdfPTable daily(PdfContentByte cb, Bill bill) throws BadElementException {
    PdfPTable grid = new PdfPTable(2);
    grid.setWidthPercentage(100);
    for (Map.Entry<String, List<BillResource>> chart : DAILY.entrySet()) {
      PdfTemplate tpl = cb.createTemplate(250, 130);
      lineChart(tpl, chart.getKey(), bill, chart.getValue());
      PdfPCell c = new PdfPCell(Image.getInstance(tpl));
      c.setBorder(Rectangle.NO_BORDER);
      c.setPadding(4);
      grid.addCell(c);
    }
    return grid;
  }

  /** The cost share pie with its legend. */
  PdfTemplate costShare(PdfContentByte cb, Bill bill) {
    PdfTemplate pie = cb.createTemplate(510, 120);
    pie(pie, bill);
    return pie;
  }

  private void lineChart(PdfTemplate t, String title, Bill bill, List<BillResource> series) {
    float w = t.getWidth();
    float h = t.getHeight();
    float x0 = 34;
    float y0 = 18;
    float x1 = w - 6;
    float y1 = h - 20;
    text(t, title, 0, h - 10, 8, true, INK, Element.ALIGN_LEFT);
    // An open month's last day is still running: plotting it would show a false drop.
    List<Bill.DailyUsage> days =
        bill.preliminary() && bill.daily().size() > 1
            ? bill.daily().subList(0, bill.daily().size() - 1)
            : bill.daily();
    double max = 0;
    for (Bill.DailyUsage d : days) {
      for (BillResource s : series) {
        max = Math.max(max, d.quantities().getOrDefault(s, 0.0));
      }
    }
    double top = 4 * niceStep(max / 4);
    t.setColorStroke(RULE);
    t.setLineWidth(0.5f);
    for (int i = 0; i <= 4; i++) {
      float y = y0 + (y1 - y0) * i / 4;
      t.moveTo(x0, y);
      t.lineTo(x1, y);
      t.stroke();
      text(t, compact(top * i / 4), x0 - 3, y - 2.5f, 6, false, MUTED, Element.ALIGN_RIGHT);
    }
    int length = bill.month().lengthOfMonth();
    for (int day = 1; day <= length; day += 7) {
      float x = x0 + (x1 - x0) * (day - 1) / Math.max(1, length - 1);
      text(t, Integer.toString(day), x, y0 - 9, 6, false, MUTED, Element.ALIGN_CENTER);
    }
    for (int s = 0; s < series.size(); s++) {
      t.setColorStroke(PALETTE[s]);
      t.setLineWidth(1.3f);
      boolean first = true;
      for (Bill.DailyUsage d : days) {
        float x = x0 + (x1 - x0) * (d.day().getDayOfMonth() - 1) / Math.max(1, length - 1);
        double v = d.quantities().getOrDefault(series.get(s), 0.0);
        float y = (float) (y0 + (y1 - y0) * (top == 0 ? 0 : v / top));
        if (days.size() == 1) {
          // The 1st of a month: one day is a point, which a line cannot show.
          t.setColorFill(PALETTE[s]);
          t.circle(x, y, 2.2f);
          t.fill();
        } else if (first) {
          t.moveTo(x, y);
          first = false;
        } else {
          t.lineTo(x, y);
        }
      }
      if (!first) {
        t.stroke();
      }
    }
  }

  private void pie(PdfTemplate t, Bill bill) {
    Map<BillResource, BigDecimal> shares = bill.amountByResource();
    BigDecimal total = shares.values().stream().reduce(BigDecimal.ZERO, BigDecimal::add);
    float cx = 60;
    float cy = 60;
    float r = 52;
    if (total.signum() == 0) {
      text(t, "No charges in this period.", 0, 60, 9, false, MUTED, Element.ALIGN_LEFT);
      return;
    }
    double angle = 90;
    int i = 0;
    float legendY = 100;
    String code = bill.currency().getCurrencyCode();
    for (Map.Entry<BillResource, BigDecimal> e : shares.entrySet()) {
      if (e.getValue().signum() == 0) {
        continue;
      }
      double share = e.getValue().doubleValue() / total.doubleValue();
      double sweep = 360 * share;
      Color color = PALETTE[i % PALETTE.length];
      t.setColorFill(color);
      t.moveTo(cx, cy);
      int steps = Math.max(2, (int) Math.ceil(sweep / 3));
      for (int k = 0; k <= steps; k++) {
        double a = Math.toRadians(angle - sweep * k / steps);
        t.lineTo((float) (cx + r * Math.cos(a)), (float) (cy + r * Math.sin(a)));
      }
      t.closePath();
      t.fill();
      angle -= sweep;
      t.rectangle(140, legendY - 1, 8, 8);
      t.fill();
      text(
          t,
          e.getKey().title
              + "  "
              + percent(share)
              + "  ("
              + code
              + " "
              + number(e.getValue())
              + ")",
          154,
          legendY,
          8.5f,
          false,
          INK,
          Element.ALIGN_LEFT);
      legendY -= 15;
      i++;
    }
  }

  private void text(
      PdfTemplate t,
      String s,
      float x,
      float y,
      float size,
      boolean strong,
      Color color,
      int align) {
    t.beginText();
    t.setColorFill(color);
    t.setFontAndSize(strong ? bold : regular, size);
    t.showTextAligned(align, s, x, y, 0);
    t.endText();
  }

  private static String compact(double v) {
    if (v >= 1000) {
      return BigDecimal.valueOf(v / 1000)
              .setScale(1, RoundingMode.HALF_UP)
              .stripTrailingZeros()
              .toPlainString()
          + "k";
    }
    return BigDecimal.valueOf(v)
        .setScale(v >= 10 ? 0 : 2, RoundingMode.HALF_UP)
        .stripTrailingZeros()
        .toPlainString();
  }

  /** A tick step of at least {@code v}: 1, 2, 2.5 or 5 times a power of ten. */
  private static double niceStep(double v) {
    return v <= 0 ? 0.25 : nice(v);
  }

  /**
   * 1, 2, 2.5 or 5 times a power of ten, at least {@code v} (positive): a chart's tick step or top,
   * on the PDF and the web pages alike.
   */
  public static double nice(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }
}
