package dev.chargeback.meter.rollup;

/**
 * An exact amount of usage that accrued evenly over {@code [fromMillis, toMillis]}; the store
 * splits it pro rata across the buckets of each granularity.
 *
 * @param namespace billed namespace, "" for node-level readings
 * @param workload "Kind/name", "" when not attributable
 * @param node the node, "" when unknown
 * @param device of GPU time, the MIG profile ({@code 1g.10gb}) or "" for a whole GPU; else ""
 */
public record Usage(
    String namespace,
    String workload,
    String node,
    Resource resource,
    long fromMillis,
    long toMillis,
    double amount,
    String device) {

  /** Usage of no particular device. */
  public Usage(
      String namespace,
      String workload,
      String node,
      Resource resource,
      long fromMillis,
      long toMillis,
      double amount) {
    this(namespace, workload, node, resource, fromMillis, toMillis, amount, "");
  }
}
