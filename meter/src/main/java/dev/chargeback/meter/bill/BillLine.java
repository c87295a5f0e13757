package dev.chargeback.meter.bill;

import java.math.BigDecimal;

/**
 * One priced line: {@code amount = round(quantity × unitPrice)} to the currency's minor unit.
 *
 * @param quantity in the resource's priced unit, rounded to 4 decimals
 * @param note "" or e.g. "from 2026-11-15" when the price changed within the month
 */
public record BillLine(
    BillResource resource,
    String note,
    BigDecimal quantity,
    BigDecimal unitPrice,
    BigDecimal amount) {

  /** The priced unit of the quantity. */
  public String unit() {
    return resource.unit();
  }
}
