package dev.chargeback.meter.usage;

import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.exposition.Sample;
import dev.chargeback.meter.rollup.Resource;
import java.util.ArrayList;
import java.util.List;

/**
 * kube-state-metrics: PVC storage requests, container resource requests, and pod metadata ({@code
 * kube_pod_info}: owner and host networking) for the {@link PodDirectory}.
 */
final class KubeStateSelection implements Selection {
  static final String PVC = "kube_persistentvolumeclaim_resource_requests_storage_bytes";
  static final String REQUESTS = "kube_pod_container_resource_requests";
  static final String POD_INFO = "kube_pod_info";

  private final PodDirectory pods;
  private final List<Sample> gauges = new ArrayList<>();

  KubeStateSelection(PodDirectory pods) {
    this.pods = pods;
  }

  @Override
  public boolean wants(String name) {
    return name.equals(PVC) || name.equals(REQUESTS) || name.equals(POD_INFO);
  }

  @Override
  public void sample(Sample s) {
    Labels l = s.labels();
    if (s.name().equals(POD_INFO)) {
      String pod = l.get("pod");
      pods.put(
          l.get("namespace"),
          pod,
          new PodDirectory.Pod(
              Workloads.fromOwner(l.get("created_by_kind"), l.get("created_by_name"), pod),
              l.get("host_network").equals("true")));
    } else if (!l.get("namespace").isEmpty()) {
      gauges.add(s);
      Resource request = s.name().equals(REQUESTS) ? request(l) : null;
      if (request != null) {
        Resource of = request == Resource.REQUEST_CPU ? Resource.CPU : Resource.MEMORY;
        pods.putRequest(l.get("namespace"), l.get("pod"), l.get("container"), of, s.value());
      }
    }
  }

  /** The request resource of a {@code kube_pod_container_resource_requests} row, or null. */
  private static Resource request(Labels l) {
    return switch (l.get("resource")) {
      case "cpu" -> Resource.REQUEST_CPU;
      case "memory" -> Resource.REQUEST_MEMORY;
      default -> null;
    };
  }

  @Override
  public List<Reading> finish(long scrapeMillis) {
    List<Reading> out = new ArrayList<>(gauges.size());
    for (Sample s : gauges) {
      Labels l = s.labels();
      String ns = l.get("namespace");
      Resource resource;
      String workload;
      if (s.name().equals(PVC)) {
        resource = Resource.STORAGE;
        workload = "PersistentVolumeClaim/" + l.get("persistentvolumeclaim");
      } else {
        resource = request(l);
        if (resource == null) {
          continue;
        }
        workload = pods.workload(ns, l.get("pod"));
      }
      out.add(
          new Reading(
              s.name() + l,
              Reading.Kind.GAUGE,
              resource,
              ns,
              workload,
              l.get("node"),
              s.value(),
              s.hasTimestamp() ? s.timestampMillis() : scrapeMillis,
              Double.NaN));
    }
    return out;
  }
}
