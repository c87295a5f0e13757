package dev.chargeback.meter.price;

import java.math.BigDecimal;

/**
 * Unit prices in the book's currency. Null in a namespace override means "as the version says".
 *
 * @param cpuCoreHour per core-hour of CPU
 * @param memoryGibHour per GiB-hour of memory
 * @param networkReceiveGib per GiB received
 * @param networkTransmitGib per GiB transmitted
 * @param storageGibHour per GiB-hour of persistent volume claims
 */
public record Prices(
    BigDecimal cpuCoreHour,
    BigDecimal memoryGibHour,
    BigDecimal networkReceiveGib,
    BigDecimal networkTransmitGib,
    BigDecimal storageGibHour) {

  /** These prices with {@code override}'s non-null ones on top. */
  public Prices with(Prices override) {
    if (override == null) {
      return this;
    }
    return new Prices(
        or(override.cpuCoreHour, cpuCoreHour),
        or(override.memoryGibHour, memoryGibHour),
        or(override.networkReceiveGib, networkReceiveGib),
        or(override.networkTransmitGib, networkTransmitGib),
        or(override.storageGibHour, storageGibHour));
  }

  private static BigDecimal or(BigDecimal a, BigDecimal b) {
    return a != null ? a : b;
  }
}
