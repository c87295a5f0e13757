package dev.chargeback.meter.price;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Arrays;
import java.util.Comparator;

/** Splits an amount of money into parts that add up to it exactly, to the currency's minor unit. */
public final class Allocation {
  private Allocation() {}

  /**
   * {@code amount} split in proportion to {@code weights}, to the currency's minor unit, by largest
   * remainder (ties to the earlier part): the parts always sum to the amount exactly. With no
   * positive weight the first part takes it all.
   */
  public static BigDecimal[] allocate(BigDecimal amount, double[] weights, int minor) {
    BigDecimal[] parts = new BigDecimal[weights.length];
    double total = Arrays.stream(weights).sum();
    if (weights.length == 0) {
      return parts;
    }
    long units =
        amount.movePointRight(minor).setScale(0, RoundingMode.UNNECESSARY).longValueExact();
    long[] whole = new long[weights.length];
    double[] rest = new double[weights.length];
    long given = 0;
    for (int i = 0; i < weights.length; i++) {
      double exact = total > 0 ? units * (weights[i] / total) : (i == 0 ? units : 0);
      whole[i] = (long) Math.floor(exact);
      rest[i] = exact - whole[i];
      given += whole[i];
    }
    Integer[] order = new Integer[weights.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -rest[i]).thenComparing(i -> i));
    for (int k = 0; given < units; k = (k + 1) % order.length, given++) {
      whole[order[k]]++;
    }
    for (int k = 0; given > units; k = (k + 1) % order.length, given--) {
      whole[order[order.length - 1 - k]]--;
    }
    for (int i = 0; i < weights.length; i++) {
      parts[i] = BigDecimal.valueOf(whole[i], minor);
    }
    return parts;
  }
}
