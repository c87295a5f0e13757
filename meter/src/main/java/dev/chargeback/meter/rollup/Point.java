package dev.chargeback.meter.rollup;

/** The last sample of a series: what the next sample's delta or integral starts from. */
public record Point(double value, long timestampMillis) {}
