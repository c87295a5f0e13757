package dev.chargeback.meter.price;

/** What CPU and memory are billed on. */
public enum Basis {
  /** Measured usage. */
  USAGE,
  /** Requested resources (needs kube-state-metrics); usage where none were metered. */
  REQUEST,
  /** The larger of usage and request, per namespace and day. */
  MAX
}
