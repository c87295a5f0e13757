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
  META("meta");

  public final String cfName;

  Family(String cfName) {
    this.cfName = cfName;
  }
}
