package dev.chargeback.meter.usage;

import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.exposition.Sample;
import dev.chargeback.meter.rollup.Resource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * NVIDIA dcgm-exporter in its Kubernetes mode: each GPU's (or MIG instance's) utilisation,
 * attributed to the pod using it by its {@code namespace}, {@code pod} and {@code container}
 * labels, integrated into utilisation-weighted GPU-seconds ({@link Resource#GPU}) per device (the
 * MIG profile {@code GPU_I_PROFILE}, or "" for a whole GPU). {@code DCGM_FI_PROF_GR_ENGINE_ACTIVE}
 * (0–1, and the only one MIG instances report) wins over {@code DCGM_FI_DEV_GPU_UTIL} (percent);
 * {@code DCGM_FI_DEV_FB_USED} (MiB) is the framebuffer memory held ({@link Resource#GPU_MEMORY},
 * metered in byte-seconds, not priced). A device shared by several pods (time-slicing, with the
 * exporter's virtual GPUs) gives each an equal part. Rows without a pod are nobody's: idle GPUs are
 * capacity less requests, from kube-state-metrics.
 */
final class DcgmSelection implements Selection {
  static final String ENGINE_ACTIVE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE";
  static final String GPU_UTIL = "DCGM_FI_DEV_GPU_UTIL";
  static final String FB_USED = "DCGM_FI_DEV_FB_USED";
  private static final double MIB = 1024.0 * 1024;

  private final String node;
  private final PodDirectory pods;

  /** Per device and pod: its labels, the engine ratio and the utilisation (NaN when absent). */
  private final Map<String, Row> rows = new LinkedHashMap<>();

  private static final class Row {
    final Labels labels;
    double active = Double.NaN;
    double util = Double.NaN;
    double framebuffer = Double.NaN;
    long timestamp = Long.MIN_VALUE;

    Row(Labels labels) {
      this.labels = labels;
    }
  }

  DcgmSelection(String node, PodDirectory pods) {
    this.node = node;
    this.pods = pods;
  }

  @Override
  public boolean wants(String name) {
    return name.equals(ENGINE_ACTIVE) || name.equals(GPU_UTIL) || name.equals(FB_USED);
  }

  @Override
  public void sample(Sample s) {
    Labels l = s.labels();
    if (l.get("namespace").isEmpty() || l.get("pod").isEmpty()) {
      return;
    }
    String key =
        device(l)
            + '\u0000'
            + l.get("namespace")
            + '\u0000'
            + l.get("pod")
            + '\u0000'
            + l.get("container");
    Row row = rows.computeIfAbsent(key, k -> new Row(l));
    switch (s.name()) {
      case ENGINE_ACTIVE -> row.active = s.value();
      case GPU_UTIL -> row.util = s.value() / 100;
      default -> row.framebuffer = s.value() * MIB;
    }
    if (s.hasTimestamp()) {
      row.timestamp = Math.max(row.timestamp, s.timestampMillis());
    }
  }

  /** A GPU or MIG instance: its UUID and instance id. */
  private static String device(Labels l) {
    return l.get("UUID") + '/' + l.get("GPU_I_ID");
  }

  @Override
  public List<Reading> finish(long scrapeMillis) {
    Map<String, Integer> sharers = new LinkedHashMap<>();
    for (Row r : rows.values()) {
      sharers.merge(device(r.labels), 1, Integer::sum);
    }
    List<Reading> out = new ArrayList<>(rows.size());
    for (Row r : rows.values()) {
      Labels l = r.labels;
      int sharing = sharers.get(device(l));
      double ratio = !Double.isNaN(r.active) ? r.active : r.util;
      if (!Double.isNaN(ratio)) {
        out.add(reading(r, Resource.GPU, "", Math.clamp(ratio, 0, 1) / sharing, scrapeMillis));
      }
      if (!Double.isNaN(r.framebuffer) && r.framebuffer >= 0) {
        out.add(reading(r, Resource.GPU_MEMORY, "/fb", r.framebuffer / sharing, scrapeMillis));
      }
    }
    return out;
  }

  private Reading reading(
      Row r, Resource resource, String series, double value, long scrapeMillis) {
    Labels l = r.labels;
    String ns = l.get("namespace");
    return new Reading(
        Labels.identityOf(
            "dcgm/"
                + device(l)
                + "/"
                + ns
                + "/"
                + l.get("pod")
                + "/"
                + l.get("container")
                + series),
        Reading.Kind.GAUGE,
        resource,
        ns,
        pods.workload(ns, l.get("pod")),
        node.isEmpty() ? hostname(l) : node,
        value,
        r.timestamp != Long.MIN_VALUE ? r.timestamp : scrapeMillis,
        Double.NaN,
        "",
        Double.NaN,
        l.get("GPU_I_PROFILE"));
  }

  /** The exporter's node by its own label ({@code hostname}, {@code Hostname} before 4.x). */
  private static String hostname(Labels l) {
    String h = l.get("hostname");
    return h.isEmpty() ? l.get("Hostname") : h;
  }
}
