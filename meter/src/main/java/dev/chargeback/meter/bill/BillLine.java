package dev.chargeback.meter.bill;

import java.math.BigDecimal;

/**
 * One priced line: {@code amount = round(quantity × unitPrice)} to the currency's minor unit.
 *
 * @param resource {@code cpu}, {@code memory}, {@code network_receive}, {@code network_transmit},
 *     {@code storage}
 * @param note "" or e.g. "from 2026-11-15" when the price changed within the month
 */
public record BillLine(
    String resource,
    String note,
    BigDecimal quantity,
    String unit,
    BigDecimal unitPrice,
    BigDecimal amount) {}
