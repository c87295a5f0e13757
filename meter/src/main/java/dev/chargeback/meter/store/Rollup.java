package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.RollupKey;

/**
 * One bucket of a rollup series.
 *
 * @param bucketStart epoch seconds; 0 for all-time totals
 * @param sum the usage in the resource's unit
 */
public record Rollup(RollupKey key, long bucketStart, double sum) {}
