package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Resource;

/**
 * Adds rollup values exactly: integer quanta as integers, converted to the resource's unit once at
 * the end (values written before rollups were integers, doubles, beside them; see {@link
 * RollupFormat}).
 */
final class Sum {
  private long units;
  private double legacy;

  void add(byte[] value) {
    if (value.length == 16) {
      legacy += Keys.first(value);
    } else {
      units += Keys.decodeFixed(value);
    }
  }

  double amount(Resource r) {
    return r.amount(units) + legacy;
  }
}
