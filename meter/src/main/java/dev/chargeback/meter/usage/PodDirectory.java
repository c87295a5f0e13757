package dev.chargeback.meter.usage;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What is known about pods beyond their names: owning workload and host networking. Filled from
 * kube-state-metrics ({@code kube_pod_info}) or the Kubernetes API; without it, workloads are
 * derived from pod names and host networking from counters.
 */
public final class PodDirectory {
  /** Known facts about one pod. */
  public record Pod(String workload, boolean hostNetwork) {}

  private final Map<String, Pod> pods = new ConcurrentHashMap<>();

  public void put(String namespace, String pod, Pod info) {
    pods.put(namespace + '/' + pod, info);
  }

  /** Forgets a pod that is gone. */
  public void remove(String namespace, String pod) {
    pods.remove(namespace + '/' + pod);
  }

  /** The pod's facts, or null when unknown. */
  public Pod get(String namespace, String pod) {
    return pods.get(namespace + '/' + pod);
  }

  /** The workload of a pod: from metadata when known, else from its name. */
  public String workload(String namespace, String pod) {
    Pod info = get(namespace, pod);
    return info != null ? info.workload() : Workloads.fromPodName(pod);
  }
}
