package dev.chargeback.meter.discovery;

import dev.chargeback.meter.usage.Workloads;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import java.util.function.Function;

/**
 * A pod's workload from its controller chain: Pod → ReplicaSet → Deployment, Pod → Job → CronJob.
 */
final class OwnerChain {
  private OwnerChain() {}

  /**
   * A pod's workload ("Kind/name") from its controller: a ReplicaSet's Deployment and a Job's
   * CronJob are followed through the cache; without them, from names.
   */
  static String workload(
      Pod pod, Function<String, ReplicaSet> replicaSets, Function<String, Job> jobs) {
    ObjectMeta m = pod.getMetadata();
    OwnerReference owner = controller(m);
    if (owner == null) {
      return "Pod/" + m.getName();
    }
    HasMetadata parent =
        switch (owner.getKind()) {
          case "ReplicaSet" -> replicaSets.apply(m.getNamespace() + "/" + owner.getName());
          case "Job" -> jobs.apply(m.getNamespace() + "/" + owner.getName());
          default -> null;
        };
    if (parent != null) {
      OwnerReference grand = controller(parent.getMetadata());
      return grand != null
          ? grand.getKind() + "/" + grand.getName()
          : owner.getKind() + "/" + owner.getName();
    }
    return Workloads.fromOwner(owner.getKind(), owner.getName(), m.getName());
  }

  private static OwnerReference controller(ObjectMeta m) {
    if (m.getOwnerReferences() == null) {
      return null;
    }
    OwnerReference first = null;
    for (OwnerReference o : m.getOwnerReferences()) {
      if (Boolean.TRUE.equals(o.getController())) {
        return o;
      }
      if (first == null) {
        first = o;
      }
    }
    return first;
  }
}
