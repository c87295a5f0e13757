package dev.chargeback.meter.price;

/** What happens to the cost of node capacity no namespace used. */
public enum IdlePolicy {
  /** Not billed. */
  IGNORE,
  /** Reported on its own (the {@code _idle} pseudo-namespace), not on namespace bills. */
  SEPARATE,
  /** Shared among namespaces in proportion to their CPU and memory cost. */
  SHARE
}
