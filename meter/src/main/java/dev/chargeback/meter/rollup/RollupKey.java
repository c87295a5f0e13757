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

  public static RollupKey namespace(String namespace, Resource resource) {
    return new RollupKey(Scope.NAMESPACE, namespace, "", resource);
  }

  public static RollupKey workload(String namespace, String workload, Resource resource) {
    return new RollupKey(Scope.WORKLOAD, namespace, workload, resource);
  }
}
