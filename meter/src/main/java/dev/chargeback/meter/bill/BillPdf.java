package dev.chargeback.meter.bill;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Calendar;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TimeZone;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openpdf.text.Document;
import org.openpdf.text.DocumentException;
import org.openpdf.text.Element;
import org.openpdf.text.Font;
import org.openpdf.text.Image;
import org.openpdf.text.PageSize;
import org.openpdf.text.Paragraph;
import org.openpdf.text.Phrase;
import org.openpdf.text.Rectangle;
import org.openpdf.text.pdf.BaseFont;
import org.openpdf.text.pdf.PdfContentByte;
import org.openpdf.text.pdf.PdfDate;
import org.openpdf.text.pdf.PdfName;
import org.openpdf.text.pdf.PdfPCell;
import org.openpdf.text.pdf.PdfPTable;
import org.openpdf.text.pdf.PdfWriter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders a {@link Bill} as an A4 PDF: header, line items and totals, daily usage charts and a
 * cost-share pie (vector graphics), weekly usage, top workloads, how prices are calculated, and
 * data coverage. Text uses an embedded TrueType font (Debian's Nanum fonts by default, so Hangul
 * renders); without one it falls back to Helvetica, which has no Hangul, and says so once.
 */
public final class BillPdf {
  private static final Logger LOG = LoggerFactory.getLogger(BillPdf.class);

  /** Where Debian's {@code fonts-nanum} puts its fonts (the container image ships them). */
  public static final Path NANUM = Path.of("/usr/share/fonts/truetype/nanum/NanumGothic.ttf");

  public static final Path NANUM_BOLD =
      Path.of("/usr/share/fonts/truetype/nanum/NanumGothicBold.ttf");

  static final Color INK = new Color(0x22, 0x2B, 0x36);
  static final Color MUTED = new Color(0x6B, 0x75, 0x80);
  static final Color RULE = new Color(0xD5, 0xDA, 0xE0);
  private static final Color SHADE = new Color(0xF2, 0xF4, 0xF7);
  static final Color[] PALETTE = {
    new Color(0x2F, 0x6B, 0xB3), new Color(0xE0, 0x8A, 0x2E), new Color(0x3A, 0x9E, 0x6F),
    new Color(0xB8, 0x4A, 0x62), new Color(0x7D, 0x5B, 0xA6), new Color(0x8C, 0x8C, 0x8C),
  };

  /**
   * How bills look.
   *
   * @param font regular TrueType font; null for Nanum Gothic when installed
   * @param boldFont bold TrueType font; null for Nanum Gothic Bold, or the regular font
   * @param organisation printed above the title; may be empty
   * @param logo a PNG or JPEG printed top right; null for none
   */
  public record Style(Path font, Path boldFont, String organisation, Path logo) {
    public static final Style DEFAULT = new Style(null, null, "", null);
  }

  private final BaseFont regular;
  private final BaseFont bold;
  private final String organisation;
  private final byte[] logo;

  public BillPdf(Style style) {
    this.regular = font(style.font() != null ? style.font() : NANUM, BaseFont.HELVETICA);
    Path boldPath =
        style.boldFont() != null
            ? style.boldFont()
            : style.font() != null ? style.font() : NANUM_BOLD;
    this.bold = font(boldPath, BaseFont.HELVETICA_BOLD);
    this.organisation = style.organisation() == null ? "" : style.organisation();
    try {
      this.logo = style.logo() == null ? null : Files.readAllBytes(style.logo());
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot read logo " + style.logo() + ": " + e.getMessage(), e);
    }
  }

  private static BaseFont font(Path ttf, String fallback) {
    try {
      if (Files.isReadable(ttf)) {
        // From bytes in memory: from a path, OpenPDF's subsetter re-reads the file a byte at a
        // time for every bill, which was most of a bill's rendering time.
        return BaseFont.createFont(
            ttf.toString(),
            BaseFont.IDENTITY_H,
            BaseFont.EMBEDDED,
            false,
            Files.readAllBytes(ttf),
            null);
      }
      LOG.warn(
          "font {} not found: bills use {} (no Hangul); install fonts-nanum or set bill.font",
          ttf,
          fallback);
      return BaseFont.createFont(fallback, BaseFont.WINANSI, BaseFont.NOT_EMBEDDED);
    } catch (IOException | DocumentException e) {
      throw new IllegalArgumentException("cannot load font " + ttf + ": " + e.getMessage(), e);
    }
  }

  /** Who issues the bills: the organisation, or "chargeback" when none is set. */
  public String issuer() {
    return organisation.isBlank() ? "chargeback" : organisation;
  }

  public byte[] render(Bill bill) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    Document doc = new Document(PageSize.A4, 42, 42, 40, 40);
    try {
      PdfWriter writer = PdfWriter.getInstance(doc, out);
      doc.addTitle(title(bill));
      doc.addCreator("chargeback");
      doc.open();
      if (bill.closing() != null) {
        // A final bill renders the same bytes every time: dated at its close.
        Calendar closed = Calendar.getInstance(TimeZone.getTimeZone("UTC"));
        closed.setTimeInMillis(bill.closing().closedAt().toEpochMilli());
        writer.getInfo().put(PdfName.CREATIONDATE, new PdfDate(closed));
      }
      header(doc, bill);
      lineItems(doc, bill);
      clusters(doc, bill);
      charts(doc, writer, bill);
      weekly(doc, bill);
      workloads(doc, bill);
      method(doc, bill);
      doc.close();
    } catch (DocumentException | IOException e) {
      throw new IllegalStateException(
          "cannot render the bill of " + bill.namespace() + ": " + e.getMessage(), e);
    }
    byte[] pdf = out.toByteArray();
    return bill.closing() == null ? pdf : reproducible(pdf, bill.closing().sha256());
  }

  /**
   * The final bill's PDF made reproducible, byte for byte: the trailer's file identifier and the
   * font subsets' tags (random at each rendering) are replaced by ones derived from the bill's
   * hash, of the same length, so no offset moves.
   */
  static byte[] reproducible(byte[] pdf, String sha256) {
    String text = new String(pdf, StandardCharsets.ISO_8859_1);
    byte[] out = pdf.clone();
    int at = text.lastIndexOf("/ID [<");
    if (at >= 0) {
      int pos = at + "/ID [".length();
      for (int part = 0; part < 2; part++) {
        int open = text.indexOf('<', pos);
        int close = text.indexOf('>', open);
        for (int i = open + 1, j = 0; i < close; i++, j++) {
          out[i] = (byte) sha256.charAt(j % sha256.length());
        }
        pos = close + 1;
      }
    }
    Map<String, String> tags = new LinkedHashMap<>();
    Matcher m = SUBSET_TAG.matcher(text);
    while (m.find()) {
      String tag =
          tags.computeIfAbsent(
              m.group(2),
              t -> {
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < 6; i++) {
                  b.append(
                      (char)
                          ('A' + (Character.digit(sha256.charAt(i), 16) + 7 * tags.size()) % 26));
                }
                return b.toString();
              });
      for (int i = 0; i < 6; i++) {
        out[m.start(2) + i] = (byte) tag.charAt(i);
      }
    }
    return out;
  }

  /** A font subset's name in a font dictionary: six capitals and a plus. */
  private static final Pattern SUBSET_TAG = Pattern.compile("/(BaseFont|FontName)/([A-Z]{6})\\+");

  static String title(Bill bill) {
    return bill.month().getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH)
        + " "
        + bill.month().getYear()
        + " Cloud Usage Bill";
  }

  private Font f(float size, boolean strong, Color color) {
    return new Font(strong ? bold : regular, size, Font.NORMAL, color);
  }

  // ---- sections

  private void header(Document doc, Bill bill) throws DocumentException, IOException {
    PdfPTable top = new PdfPTable(new float[] {3, 1});
    top.setWidthPercentage(100);
    PdfPCell left = new PdfPCell();
    left.setBorder(Rectangle.NO_BORDER);
    if (!organisation.isEmpty()) {
      left.addElement(new Paragraph(organisation, f(10, true, MUTED)));
    }
    left.addElement(new Paragraph(title(bill), f(20, true, INK)));
    if (bill.closing() != null) {
      left.addElement(
          new Paragraph(
              "FINAL: closed " + bill.closing().closedAt() + ", SHA-256 " + bill.closing().sha256(),
              f(7, false, MUTED)));
    } else if (bill.preliminary()) {
      left.addElement(
          new Paragraph(
              "PRELIMINARY: month to date, final after " + bill.month().atEndOfMonth(),
              f(9, true, PALETTE[1])));
    }
    top.addCell(left);
    PdfPCell right = new PdfPCell();
    right.setBorder(Rectangle.NO_BORDER);
    right.setHorizontalAlignment(Element.ALIGN_RIGHT);
    if (logo != null) {
      Image image = Image.getInstance(logo);
      image.scaleToFit(110, 48);
      image.setAlignment(Element.ALIGN_RIGHT);
      right.addElement(image);
    }
    top.addCell(right);
    doc.add(top);

    PdfPTable info = new PdfPTable(new float[] {1.2f, 2.3f, 1.2f, 2.3f});
    info.setWidthPercentage(100);
    info.setSpacingBefore(10);
    infoCell(info, "Namespace", bill.namespace());
    infoCell(info, "Bill number", bill.billNumber());
    infoCell(info, "Period", bill.periodStart() + " to " + bill.periodEnd());
    infoCell(info, "Issue date", bill.issueDate().toString());
    infoCell(info, "Currency", bill.currency().getCurrencyCode());
    infoCell(info, "Data coverage", percent(bill.coverage()));
    List<Map.Entry<String, String>> labels = List.copyOf(bill.labels().entrySet());
    for (int i = 0; i < labels.size(); i += 2) {
      infoCell(info, labels.get(i).getKey(), labels.get(i).getValue());
      if (i + 1 < labels.size()) {
        infoCell(info, labels.get(i + 1).getKey(), labels.get(i + 1).getValue());
      } else {
        infoCell(info, "", "");
      }
    }
    doc.add(info);
  }

  private void infoCell(PdfPTable table, String label, String value) {
    PdfPCell l = new PdfPCell(new Phrase(label, f(8.5f, false, MUTED)));
    PdfPCell v = new PdfPCell(new Phrase(value, f(9.5f, true, INK)));
    for (PdfPCell c : List.of(l, v)) {
      c.setBorder(Rectangle.BOTTOM);
      c.setBorderColor(RULE);
      c.setPaddingBottom(5);
      table.addCell(c);
    }
  }

  private void lineItems(Document doc, Bill bill) throws DocumentException {
    section(doc, "Charges");
    PdfPTable t = new PdfPTable(new float[] {2.6f, 1.6f, 1.1f, 1.1f, 1.4f});
    t.setWidthPercentage(100);
    for (String h : List.of("Resource", "Quantity", "Unit", "Unit price", "Amount")) {
      PdfPCell c = cell(h, true, MUTED, !h.equals("Resource") && !h.equals("Unit"));
      c.setBackgroundColor(SHADE);
      t.addCell(c);
    }
    String code = bill.currency().getCurrencyCode();
    for (BillLine l : bill.lines()) {
      String name = l.title() + (l.note().isEmpty() ? "" : " (" + l.note() + ")");
      t.addCell(cell(name, false, INK, false));
      t.addCell(cell(number(l.quantity()), false, INK, true));
      t.addCell(cell(l.unit(), false, MUTED, false));
      t.addCell(cell(number(l.unitPrice()), false, INK, true));
      t.addCell(cell(number(l.amount()), false, INK, true));
    }
    total(t, "Subtotal", number(bill.subtotal()), false);
    if (bill.discount().signum() != 0) {
      total(t, "Discount", "-" + number(bill.discount()), false);
    }
    total(t, "Tax", number(bill.tax()), false);
    for (Bill.Share sh : bill.shares()) {
      String label = bill.shareLabel(sh);
      total(
          t,
          Character.toUpperCase(label.charAt(0)) + label.substring(1),
          number(sh.amount()),
          false);
    }
    for (Bill.Correction c : bill.corrections()) {
      total(t, "Correction for " + c.month() + ": " + c.item(), number(c.amount()), false);
    }
    total(t, "Total (" + code + ")", number(bill.total()), true);
    doc.add(t);
    if (bill.previousTotal() != null) {
      BigDecimal change = bill.change();
      String sign = change.signum() > 0 ? "+" : change.signum() < 0 ? "-" : "";
      String share =
          bill.previousTotal().signum() == 0
              ? ""
              : " ("
                  + sign
                  + percent(change.abs().doubleValue() / bill.previousTotal().doubleValue())
                  + ")";
      Paragraph p =
          new Paragraph(
              "Previous month "
                  + bill.month().minusMonths(1)
                  + ": "
                  + code
                  + " "
                  + number(bill.previousTotal())
                  + "; change "
                  + sign
                  + number(change.abs())
                  + share,
              f(8.5f, false, INK));
      p.setSpacingBefore(4);
      doc.add(p);
    }
    if (bill.forecast() != null) {
      Paragraph p =
          new Paragraph(
              "FORECAST, not a charge: about "
                  + code
                  + " "
                  + number(bill.forecast().total())
                  + " for the whole month ("
                  + bill.forecast().method()
                  + ").",
              f(8.5f, true, PALETTE[1]));
      p.setSpacingBefore(3);
      doc.add(p);
    }
    for (String note : bill.notes()) {
      Paragraph p = new Paragraph("Note: " + note, f(8.5f, false, MUTED));
      p.setSpacingBefore(3);
      doc.add(p);
    }
  }

  private void total(PdfPTable t, String label, String amount, boolean strong) {
    PdfPCell l = cell(label, strong, INK, true);
    l.setColspan(4);
    PdfPCell a = cell(amount, strong, INK, true);
    if (strong) {
      l.setBackgroundColor(SHADE);
      a.setBackgroundColor(SHADE);
    }
    t.addCell(l);
    t.addCell(a);
  }

  private PdfPCell cell(String text, boolean strong, Color color, boolean right) {
    PdfPCell c = new PdfPCell(new Phrase(text, f(9, strong, color)));
    c.setBorder(Rectangle.BOTTOM);
    c.setBorderColor(RULE);
    c.setPadding(4);
    c.setHorizontalAlignment(right ? Element.ALIGN_RIGHT : Element.ALIGN_LEFT);
    return c;
  }

  private void section(Document doc, String title) throws DocumentException {
    Paragraph p = new Paragraph(title, f(12, true, INK));
    p.setSpacingBefore(14);
    p.setSpacingAfter(6);
    doc.add(p);
  }

  private void charts(Document doc, PdfWriter writer, Bill bill) throws DocumentException {
    section(doc, "Daily usage");
    BillCharts charts = new BillCharts(regular, bold);
    PdfContentByte cb = writer.getDirectContent();
    doc.add(charts.daily(cb, bill));
    // The heading and its chart stay on one page.
    PdfPTable block = new PdfPTable(1);
    block.setWidthPercentage(100);
    block.setKeepTogether(true);
    PdfPCell heading = new PdfPCell(new Phrase("Cost share", f(12, true, INK)));
    heading.setBorder(Rectangle.NO_BORDER);
    heading.setPaddingTop(14);
    heading.setPaddingBottom(6);
    heading.setPaddingLeft(0);
    block.addCell(heading);
    PdfPCell chart = new PdfPCell(Image.getInstance(charts.costShare(cb, bill)));
    chart.setBorder(Rectangle.NO_BORDER);
    chart.setPaddingLeft(0);
    block.addCell(chart);
    doc.add(block);
  }

  private void weekly(Document doc, Bill bill) throws DocumentException {
    section(doc, "Weekly usage");
    List<BillResource> resources =
        List.of(
            BillResource.CPU,
            BillResource.MEMORY,
            BillResource.NETWORK_RECEIVE,
            BillResource.NETWORK_TRANSMIT,
            BillResource.STORAGE);
    PdfPTable t = new PdfPTable(new float[] {2.2f, 1, 1, 1, 1, 1});
    t.setWidthPercentage(100);
    List<String> heads = new ArrayList<>(List.of("Week"));
    heads.addAll(
        List.of("CPU core-h", "Memory GiB-h", "Received GiB", "Sent GiB", "Storage GiB-h"));
    for (String h : heads) {
      PdfPCell c = cell(h, true, MUTED, !h.equals("Week"));
      c.setBackgroundColor(SHADE);
      t.addCell(c);
    }
    DateTimeFormatter day = DateTimeFormatter.ofPattern("MMM d", Locale.ENGLISH);
    for (Bill.WeeklyUsage w : bill.weekly()) {
      t.addCell(cell(day.format(w.from()) + " to " + day.format(w.to()), false, INK, false));
      for (BillResource r : resources) {
        t.addCell(cell(decimal(w.quantities().getOrDefault(r, 0.0)), false, INK, true));
      }
    }
    doc.add(t);
  }

  /** On a bill of several clusters, each cluster's subtotal. */
  private void clusters(Document doc, Bill bill) throws DocumentException {
    if (bill.clusters().isEmpty()) {
      return;
    }
    section(doc, "By cluster");
    PdfPTable t = new PdfPTable(new float[] {4, 1.4f});
    t.setWidthPercentage(100);
    bill.clusters()
        .forEach(
            (cluster, subtotal) -> {
              t.addCell(cell(cluster, false, INK, false));
              t.addCell(
                  cell(
                      bill.currency().getCurrencyCode() + " " + number(subtotal),
                      false,
                      INK,
                      true));
            });
    doc.add(t);
    doc.add(
        new Paragraph(
            "Cluster subtotals are before discount and tax; each cluster is priced with its own"
                + " prices.",
            f(7.5f, false, MUTED)));
  }

  private void workloads(Document doc, Bill bill) throws DocumentException {
    section(doc, "Top workloads by cost");
    if (bill.topWorkloads().isEmpty()) {
      doc.add(new Paragraph("No workload costs in this period.", f(9, false, MUTED)));
      return;
    }
    PdfPTable t = new PdfPTable(new float[] {4, 1.4f});
    t.setWidthPercentage(100);
    for (Bill.WorkloadCost w : bill.topWorkloads()) {
      t.addCell(cell(w.workload(), false, INK, false));
      t.addCell(
          cell(bill.currency().getCurrencyCode() + " " + number(w.amount()), false, INK, true));
    }
    doc.add(t);
    doc.add(new Paragraph("Workload costs are before discount and tax.", f(7.5f, false, MUTED)));
  }

  private void method(Document doc, Bill bill) throws DocumentException {
    section(doc, "How prices are calculated");
    String code = bill.currency().getCurrencyCode();
    List<String> text = new ArrayList<>();
    text.add(
        "Usage is metered from the kubelet (cAdvisor) every scrape interval and summed per local day."
            + " CPU is core-seconds of application containers; memory is working-set bytes integrated over time;"
            + " network is bytes sent and received by the namespace's pods (host-network pods excluded); storage is"
            + " the size of persistent volume claims integrated over time.");
    text.add(
        "Each day is priced with the price version in force on that day. A line's amount is its quantity"
            + " (rounded to 4 decimals) times its unit price, rounded once to the currency's minor unit ("
            + bill.currency().getDefaultFractionDigits()
            + " decimals for "
            + code
            + ").");
    for (var v : bill.versions()) {
      var p = v.pricesFor(bill.namespace());
      text.add(
          "From "
              + v.effectiveFrom()
              + ": "
              + code
              + " "
              + number(p.cpuCoreHour())
              + " per core-hour, "
              + number(p.memoryGibHour())
              + " per GiB-hour of memory, "
              + number(p.networkReceiveGib())
              + " per GiB received, "
              + number(p.networkTransmitGib())
              + " per GiB sent, "
              + number(p.storageGibHour())
              + " per GiB-hour of storage; basis "
              + v.basis().name().toLowerCase(Locale.ROOT)
              + "; discount "
              + percent(v.discountFor(bill.namespace()).doubleValue())
              + "; tax "
              + percent(v.taxRate().doubleValue())
              + " of the discounted subtotal.");
    }
    text.add(
        "Data coverage is the share of the period in which the meter scraped the kubelets without a"
            + " gap longer than maxGap; usage in uncovered time is not estimated.");
    for (String s : text) {
      Paragraph p = new Paragraph(s, f(8.5f, false, INK));
      p.setSpacingAfter(4);
      doc.add(p);
    }
    Paragraph end =
        new Paragraph("Generated by chargeback. " + bill.billNumber(), f(7, false, MUTED));
    end.setSpacingBefore(8);
    doc.add(end);
  }

  // ---- text helpers

  /** Grouped with commas, all decimals kept: the printed numbers re-multiply exactly. */
  static String number(BigDecimal value) {
    DecimalFormat f = new DecimalFormat("#,##0", DecimalFormatSymbols.getInstance(Locale.ROOT));
    f.setMinimumFractionDigits(Math.max(0, value.scale()));
    f.setMaximumFractionDigits(Math.max(0, value.scale()));
    return f.format(value);
  }

  private static String decimal(double v) {
    return number(BigDecimal.valueOf(v).setScale(v >= 100 ? 0 : 2, RoundingMode.HALF_UP));
  }

  static String percent(double share) {
    return BigDecimal.valueOf(share * 100).setScale(1, RoundingMode.HALF_UP).toPlainString() + "%";
  }
}
