package dev.chargeback.meter.rollup;

/**
 * The last sample of a series: what the next sample's delta or integral starts from.
 *
 * @param carry a gauge's integral not yet counted, under one quantum of its resource ({@link
 *     Resource#units}): added to the next interval's, so rounding each interval loses nothing over
 *     a series' life. Kept in memory only: a restart loses under a quantum per series.
 */
public record Point(double value, long timestampMillis, double carry) {
  public Point(double value, long timestampMillis) {
    this(value, timestampMillis, 0);
  }
}
