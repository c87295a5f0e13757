package dev.chargeback.meter.bill;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A bill's line items as CSV (RFC 4180), one row per line; the last column holds the namespace's
 * chosen labels as {@code key=value} pairs joined by {@code "; "} (Kubernetes label values hold
 * neither), so CSVs of many namespaces concatenate into one sheet that can be grouped by team. Text
 * cells that a spreadsheet would run as a formula (starting with {@code = + - @}, tab or carriage
 * return) are prefixed with an apostrophe.
 */
public final class BillCsv {
  private BillCsv() {}

  public static byte[] render(Bill bill) {
    return render(List.of(bill));
  }

  /** Many bills in one sheet: one header, then every bill's lines. */
  public static byte[] render(List<Bill> bills) {
    StringBuilder out =
        new StringBuilder(
            "namespace,month,resource,node_class,device,note,quantity,unit,unit_price,amount,currency,cluster,labels\r\n");
    for (Bill bill : bills) {
      rows(out, bill);
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void rows(StringBuilder out, Bill bill) {
    StringBuilder labels = new StringBuilder();
    bill.labels()
        .forEach(
            (k, v) -> labels.append(labels.isEmpty() ? "" : "; ").append(k).append('=').append(v));
    for (BillLine l : bill.lines()) {
      row(
          out,
          text(bill.namespace()),
          bill.month().toString(),
          text(l.resource().code),
          text(l.nodeClass()),
          text(l.device()),
          text(l.note()),
          l.quantity().toPlainString(),
          text(l.unit()),
          l.unitPrice().toPlainString(),
          l.amount().toPlainString(),
          bill.currency().getCurrencyCode(),
          text(l.cluster()),
          text(labels.toString()));
    }
    for (Bill.Share sh : bill.shares()) {
      row(
          out,
          text(bill.namespace()),
          bill.month().toString(),
          text(bill.shareItem(sh)),
          "",
          "",
          text(bill.shareLabel(sh)),
          "",
          "",
          "",
          sh.amount().toPlainString(),
          bill.currency().getCurrencyCode(),
          "",
          text(labels.toString()));
    }
    for (Bill.Correction c : bill.corrections()) {
      row(
          out,
          text(bill.namespace()),
          bill.month().toString(),
          text(c.item()),
          "",
          "",
          "correction for " + c.month(),
          "",
          "",
          "",
          c.amount().toPlainString(),
          bill.currency().getCurrencyCode(),
          "",
          text(labels.toString()));
    }
  }

  static void row(StringBuilder out, String... cells) {
    for (int i = 0; i < cells.length; i++) {
      if (i > 0) {
        out.append(',');
      }
      out.append(quote(cells[i]));
    }
    out.append("\r\n");
  }

  /** Neutralises formula triggers in a text cell. */
  static String text(String value) {
    if (!value.isEmpty() && "=+-@\t\r".indexOf(value.charAt(0)) >= 0) {
      return "'" + value;
    }
    return value;
  }

  private static String quote(String cell) {
    if (cell.indexOf(',') < 0
        && cell.indexOf('"') < 0
        && cell.indexOf('\n') < 0
        && cell.indexOf('\r') < 0) {
      return cell;
    }
    return '"' + cell.replace("\"", "\"\"") + '"';
  }
}
