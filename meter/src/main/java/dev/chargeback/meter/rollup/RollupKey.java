package dev.chargeback.meter.rollup;

import java.util.Objects;

/**
 * The identity of a rollup series, without its time bucket.
 *
 * @param scope whose usage
 * @param owner namespace, node or target (see {@link Scope})
 * @param workload "Kind/name" in {@link Scope#WORKLOAD}, else ""
 * @param resource what is measured
 */
public record RollupKey(Scope scope, String owner, String workload, Resource resource) {
  public RollupKey {
    Objects.requireNonNull(scope);
    Objects.requireNonNull(owner);
    Objects.requireNonNull(workload);
    Objects.requireNonNull(resource);
  }

  /**
   * Written out rather than the record's generated one: keys are looked up by the hundred thousand
   * per {@code /metrics} scrape, and the generated equality showed as a tenth of one (JFR, 10,000
   * namespaces).
   */
  @Override
  public boolean equals(Object o) {
    return this == o
        || o instanceof RollupKey k
            && scope == k.scope
            && resource == k.resource
            && owner.equals(k.owner)
            && workload.equals(k.workload);
  }

  @Override
  public int hashCode() {
    return ((scope.ordinal() * 31 + owner.hashCode()) * 31 + workload.hashCode()) * 31
        + resource.ordinal();
  }

  public static RollupKey namespace(String namespace, Resource resource) {
    return new RollupKey(Scope.NAMESPACE, namespace, "", resource);
  }

  public static RollupKey workload(String namespace, String workload, Resource resource) {
    return new RollupKey(Scope.WORKLOAD, namespace, workload, resource);
  }
}
