package dev.chargeback.meter.time;

/** Rollup bucket sizes. 5 m and 1 h buckets are UTC-aligned; days follow the billing zone. */
public enum Granularity {
  FIVE_MINUTES(300),
  HOUR(3600),
  DAY(86400);

  /** Nominal bucket length; a local day may be 23 or 25 hours long. */
  public final long seconds;

  Granularity(long seconds) {
    this.seconds = seconds;
  }
}
