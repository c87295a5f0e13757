package dev.chargeback.meter.bill;

import java.math.BigDecimal;

/**
 * One priced line: {@code amount = round(quantity × unitPrice)} to the currency's minor unit.
 *
 * @param quantity in the resource's priced unit, rounded to 4 decimals
 * @param note "" or e.g. "from 2026-11-15" when the price changed within the month
 * @param nodeClass the price book's node class the usage ran on, "" for nodes of no class
 */
public record BillLine(
    BillResource resource,
    String note,
    BigDecimal quantity,
    BigDecimal unitPrice,
    BigDecimal amount,
    String nodeClass) {

  public BillLine {
    // A final bill stored before node classes existed has none.
    nodeClass = nodeClass == null ? "" : nodeClass;
  }

  /** A line on nodes of no class. */
  public BillLine(
      BillResource resource,
      String note,
      BigDecimal quantity,
      BigDecimal unitPrice,
      BigDecimal amount) {
    this(resource, note, quantity, unitPrice, amount, "");
  }

  /** The line's name as bills print it: the resource's title, then its node class. */
  public String title() {
    return nodeClass.isEmpty() ? resource.title : resource.title + " · " + nodeClass;
  }

  /** The priced unit of the quantity. */
  public String unit() {
    return resource.unit();
  }
}
