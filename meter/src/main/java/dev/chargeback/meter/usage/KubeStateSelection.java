package dev.chargeback.meter.usage;

import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.exposition.Sample;
import dev.chargeback.meter.rollup.Resource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * kube-state-metrics: PVC storage requests (with each claim's StorageClass), container resource
 * requests (CPU, memory and NVIDIA GPUs: whole, MIG slices, time-sliced replicas), nodes' GPU
 * capacity, and pod metadata ({@code kube_pod_info}: owner and host networking) for the {@link
 * PodDirectory}.
 */
final class KubeStateSelection implements Selection {
  static final String PVC = "kube_persistentvolumeclaim_resource_requests_storage_bytes";
  static final String REQUESTS = "kube_pod_container_resource_requests";
  static final String POD_INFO = "kube_pod_info";
  static final String NODE_CAPACITY = "kube_node_status_capacity";
  static final String PVC_INFO = "kube_persistentvolumeclaim_info";

  /** Each claim's StorageClass ({@code namespace/claim}), from {@link #PVC_INFO}. */
  private final Map<String, String> storageClasses = new HashMap<>();

  /** The NVIDIA device plugin's resources as kube-state-metrics names them. */
  private static final String GPU = "nvidia_com_gpu";

  private static final String GPU_SHARED = "nvidia_com_gpu_shared";
  private static final String MIG = "nvidia_com_mig_";

  private final PodDirectory pods;
  private final List<Sample> gauges = new ArrayList<>();

  KubeStateSelection(PodDirectory pods) {
    this.pods = pods;
  }

  @Override
  public boolean wants(String name) {
    return name.equals(PVC)
        || name.equals(REQUESTS)
        || name.equals(POD_INFO)
        || name.equals(NODE_CAPACITY)
        || name.equals(PVC_INFO);
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
    } else if (s.name().equals(PVC_INFO)) {
      storageClasses.put(
          l.get("namespace") + "/" + l.get("persistentvolumeclaim"), l.get("storageclass"));
    } else if (s.name().equals(PVC_INFO)) {
      storageClasses.put(
          l.get("namespace") + "/" + l.get("persistentvolumeclaim"), l.get("storageclass"));
    } else if (s.name().equals(NODE_CAPACITY)) {
      if (gpuDevice(l.get("resource")) != null) {
        gauges.add(s);
      }
    } else if (!l.get("namespace").isEmpty()) {
      gauges.add(s);
      Resource request = s.name().equals(REQUESTS) ? request(l) : null;
      if (request == Resource.REQUEST_CPU || request == Resource.REQUEST_MEMORY) {
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
      default -> gpuDevice(l.get("resource")) != null ? Resource.REQUEST_GPU : null;
    };
  }

  /**
   * The GPU device of a resource name: "" for a whole GPU or a time-sliced replica ({@code
   * nvidia_com_gpu}, {@code nvidia_com_gpu_shared}), the MIG profile for {@code
   * nvidia_com_mig_1g_10gb} ({@code 1g.10gb}: kube-state-metrics turned its dots and plus into
   * underscores); null for anything else.
   */
  static String gpuDevice(String resource) {
    if (resource.equals(GPU) || resource.equals(GPU_SHARED)) {
      return "";
    }
    if (!resource.startsWith(MIG) || resource.length() == MIG.length()) {
      return null;
    }
    String profile = resource.substring(MIG.length());
    String suffix = "";
    int last = profile.lastIndexOf('_');
    if (last > 0 && !profile.substring(last + 1).endsWith("gb")) {
      suffix = "+" + profile.substring(last + 1); // 1g_10gb_me → 1g.10gb+me
      profile = profile.substring(0, last);
    }
    return profile.replace('_', '.') + suffix;
  }

  @Override
  public List<Reading> finish(long scrapeMillis) {
    List<Reading> out = new ArrayList<>(gauges.size());
    for (Sample s : gauges) {
      Labels l = s.labels();
      String ns = l.get("namespace");
      Resource resource;
      String workload;
      String device = "";
      if (s.name().equals(PVC)) {
        resource = Resource.STORAGE;
        workload = "PersistentVolumeClaim/" + l.get("persistentvolumeclaim");
        device = storageClasses.getOrDefault(ns + "/" + l.get("persistentvolumeclaim"), "");
      } else if (s.name().equals(NODE_CAPACITY)) {
        resource = Resource.CAPACITY_GPU;
        workload = "";
        device = gpuDevice(l.get("resource"));
      } else {
        resource = request(l);
        if (resource == null) {
          continue;
        }
        workload = pods.workload(ns, l.get("pod"));
        if (resource == Resource.REQUEST_GPU) {
          device = gpuDevice(l.get("resource"));
        }
      }
      out.add(
          new Reading(
              l.identity(s.name()),
              Reading.Kind.GAUGE,
              resource,
              ns,
              workload,
              l.get("node"),
              s.value(),
              s.hasTimestamp() ? s.timestampMillis() : scrapeMillis,
              Double.NaN,
              "",
              Double.NaN,
              device));
    }
    return out;
  }
}
