package dev.chargeback.meter.rollup;

/**
 * An exact amount of usage that accrued evenly over {@code [fromMillis, toMillis]}; the store
 * splits it pro rata across the buckets of each granularity.
 *
 * @param namespace billed namespace, "" for node-level readings
 * @param workload "Kind/name", "" when not attributable
 * @param node the node, "" when unknown
 */
public record Usage(
    String namespace,
    String workload,
    String node,
    Resource resource,
    long fromMillis,
    long toMillis,
    double amount) {}
