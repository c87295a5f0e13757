package dev.chargeback.meter.bill;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/**
 * A bill as JSON, amounts as decimal strings (never binary floats):
 *
 * <pre>{@code
 * {"namespace":"default","month":"2026-11","currency":"KRW","preliminary":true,
 *  "lines":[{"resource":"cpu","nodeClass":"","device":"","quantity":"720.0000","unit":"core-hours","unitPrice":"45",
 *            "amount":"32400","note":""}],
 *  "subtotal":"32400","discount":"0","tax":"3240","total":"35640", …}
 * }</pre>
 */
public final class BillJson {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BillJson() {}

  public static ObjectNode tree(Bill bill) {
    ObjectNode root = JSON.createObjectNode();
    root.put("namespace", bill.namespace());
    root.put("month", bill.month().toString());
    root.put("currency", bill.currency().getCurrencyCode());
    root.put("preliminary", bill.preliminary());
    // Until its month closes a bill can still change (late data, imports): preliminary.
    root.put("status", bill.closing() != null ? "final" : "preliminary");
    if (bill.closing() != null) {
      root.put("closedAt", bill.closing().closedAt().toString());
      root.put("sha256", bill.closing().sha256());
    }
    ArrayNode lines = root.putArray("lines");
    for (BillLine l : bill.lines()) {
      ObjectNode line = lines.addObject();
      line.put("resource", l.resource().code);
      line.put("nodeClass", l.nodeClass());
      line.put("device", l.device());
      line.put("quantity", l.quantity().toPlainString());
      line.put("unit", l.unit());
      line.put("unitPrice", l.unitPrice().toPlainString());
      line.put("amount", l.amount().toPlainString());
      line.put("note", l.note());
      if (!bill.clusters().isEmpty()) {
        line.put("cluster", l.cluster());
      }
    }
    root.put("subtotal", bill.subtotal().toPlainString());
    root.put("discount", bill.discount().toPlainString());
    root.put("tax", bill.tax().toPlainString());
    ArrayNode corrections = root.putArray("corrections");
    for (Bill.Correction c : bill.corrections()) {
      corrections
          .addObject()
          .put("month", c.month().toString())
          .put("item", c.item())
          .put("amount", c.amount().toPlainString());
    }
    ArrayNode shares = root.putArray("shares");
    for (Bill.Share sh : bill.shares()) {
      shares
          .addObject()
          .put("item", bill.shareItem(sh))
          .put("from", sh.from())
          .put("to", sh.to())
          .put("effectiveFrom", sh.effectiveFrom().toString())
          .put("fraction", sh.fraction().toPlainString())
          .put("amount", sh.amount().toPlainString())
          .put("label", bill.shareLabel(sh));
    }
    root.put("total", bill.total().toPlainString());
    if (!bill.clusters().isEmpty()) {
      ObjectNode clusters = root.putObject("clusters");
      bill.clusters().forEach((c, subtotal) -> clusters.put(c, subtotal.toPlainString()));
    }
    if (bill.previousTotal() != null) {
      root.put("previousTotal", bill.previousTotal().toPlainString());
      root.put("change", bill.change().toPlainString());
    }
    if (bill.forecast() != null) {
      root.putObject("forecast")
          .put("total", bill.forecast().total().toPlainString())
          .put("method", bill.forecast().method());
    }
    root.put("billNumber", bill.billNumber());
    root.put("issueDate", bill.issueDate().toString());
    root.put("periodStart", bill.periodStart().toString());
    root.put("periodEnd", bill.periodEnd().toString());
    root.put("coverage", Math.round(bill.coverage() * 10000) / 10000.0);
    ObjectNode labels = root.putObject("labels");
    bill.labels().forEach(labels::put);
    ArrayNode notes = root.putArray("notes");
    bill.notes().forEach(notes::add);
    ArrayNode workloads = root.putArray("topWorkloads");
    for (Bill.WorkloadCost w : bill.topWorkloads()) {
      workloads.addObject().put("workload", w.workload()).put("amount", w.amount().toPlainString());
    }
    return root;
  }

  public static byte[] render(Bill bill) {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(tree(bill));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
