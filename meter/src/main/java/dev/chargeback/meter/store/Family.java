package dev.chargeback.meter.store;

/** The column families; their names are on disk and must never change. */
public enum Family {
  /** Last sample per series, per target. */
  SERIES("series"),
  R5M("r5m"),
  R1H("r1h"),
  R1D("r1d"),
  /** All-time sums, never expired: counters exported to Prometheus never go down. */
  TOTAL("total"),
  /** Schema version, billing zone, watermarks, health counters. */
  META("meta"),
  /**
   * Which workloads of a namespace had usage in a month ({@code namespace | month | workload}), so
   * a month's bill reads that month's workloads, not every workload ever seen.
   */
  ACTIVE("active");

  public final String cfName;

  Family(String cfName) {
    this.cfName = cfName;
  }
}
