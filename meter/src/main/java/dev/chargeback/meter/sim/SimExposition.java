package dev.chargeback.meter.sim;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The simulated cluster's endpoints as text: what a kubelet, kube-state-metrics and node-exporter
 * answer.
 */
final class SimExposition {
  private SimExposition() {}

  /**
   * A kubelet's /metrics/cadvisor at {@code millis}: the node's root cgroup (its own traffic plus
   * its pods'), then per pod its cgroup, sandbox and containers.
   *
   * @param here the containers visible on the node
   * @param nodeRx bytes the node itself received (outside pods); {@code nodeTx} sent
   * @param bootSeconds the root cgroup's start time
   */
  static byte[] cadvisor(
      List<SimContainer> here, long millis, double nodeRx, double nodeTx, double bootSeconds) {
    double t = millis / 1000.0;
    String ts = " " + millis;
    double rootRx = nodeRx;
    double rootTx = nodeTx;
    double rootCpu = 0;
    for (SimContainer c : here) {
      rootCpu += c.cpuCounter(t);
      if (!c.hostNetwork()) {
        rootRx += c.bytes(c.rxRate(), c.startSeconds(), t);
        rootTx += c.bytes(c.txRate(), c.startSeconds(), t);
      }
    }
    Family cpu =
        header(
            "container_cpu_usage_seconds_total",
            "counter",
            "Cumulative cpu time consumed in seconds.");
    Family mem =
        header("container_memory_working_set_bytes", "gauge", "Current working set in bytes.");
    Family rx =
        header(
            "container_network_receive_bytes_total",
            "counter",
            "Cumulative count of bytes received");
    Family tx =
        header(
            "container_network_transmit_bytes_total",
            "counter",
            "Cumulative count of bytes transmitted");
    Family start =
        header(
            "container_start_time_seconds",
            "gauge",
            "Start time of the container since unix epoch in seconds.");
    String root = "container=\"\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\"";
    row(
        cpu,
        "container=\"\",cpu=\"total\",id=\"/\",image=\"\",name=\"\",namespace=\"\",pod=\"\"",
        rootCpu,
        ts);
    row(start, root, bootSeconds, "");
    for (String iface : List.of("eth0", "tunl0")) {
      String labels =
          "container=\"\",id=\"/\",image=\"\",interface=\""
              + iface
              + "\",name=\"\",namespace=\"\",pod=\"\"";
      row(rx, labels, iface.equals("eth0") ? rootRx : 0, ts);
      row(tx, labels, iface.equals("eth0") ? rootTx : 0, ts);
    }
    List<String> pods = new ArrayList<>();
    for (SimContainer c : here) {
      if (!pods.contains(c.pod())) {
        pods.add(c.pod());
      }
    }
    for (String pod : pods) {
      List<SimContainer> cs = here.stream().filter(c -> c.pod().equals(pod)).toList();
      SimContainer first = cs.get(0);
      String podId = "/kubepods/burstable/pod" + first.uid();
      String sandbox = hex(pod + "pause", 64);
      String podLabels =
          "container=\"\",id=\""
              + podId
              + "\",image=\"\",name=\"\",namespace=\""
              + first.namespace()
              + "\",pod=\""
              + pod
              + "\"";
      String sandboxLabels =
          "container=\"\",id=\""
              + podId
              + "/"
              + sandbox
              + "\",image=\"registry.k8s.io/pause:3.10\",name=\""
              + sandbox
              + "\",namespace=\""
              + first.namespace()
              + "\",pod=\""
              + pod
              + "\"";
      double podCpu = 0.01;
      double podMem = 0;
      for (SimContainer c : cs) {
        podCpu += c.cpuCounter(t);
        podMem += c.running(t) ? c.memory(t) : 0;
      }
      row(cpu, podLabels.replace("container=\"\",", "container=\"\",cpu=\"total\","), podCpu, ts);
      row(cpu, sandboxLabels.replace("container=\"\",", "container=\"\",cpu=\"total\","), 0.01, ts);
      row(mem, podLabels, podMem + 1_000_000, ts);
      row(mem, sandboxLabels, 1_000_000, ts);
      row(start, podLabels, first.startSeconds(), "");
      row(start, sandboxLabels, first.startSeconds(), "");
      for (String iface : List.of("eth0", "tunl0")) {
        boolean eth = iface.equals("eth0");
        String labels = sandboxLabels.replace(",name=", ",interface=\"" + iface + "\",name=");
        double r =
            first.hostNetwork()
                ? (eth ? rootRx : 0)
                : eth ? first.bytes(first.rxRate(), first.startSeconds(), t) : 0;
        double x =
            first.hostNetwork()
                ? (eth ? rootTx : 0)
                : eth ? first.bytes(first.txRate(), first.startSeconds(), t) : 0;
        row(rx, labels, r, ts);
        row(tx, labels, x, ts);
      }
      for (SimContainer c : cs) {
        String name = hex(pod + c.container(), 64);
        String labels =
            "container=\""
                + c.container()
                + "\",id=\""
                + podId
                + "/"
                + name
                + "\",image=\"example.com/"
                + c.container()
                + ":1.0\",name=\""
                + name
                + "\",namespace=\""
                + c.namespace()
                + "\",pod=\""
                + pod
                + "\"";
        row(cpu, labels.replace(",id=", ",cpu=\"total\",id="), c.cpuCounter(t), ts);
        if (c.running(t)) {
          row(mem, labels, c.memory(t), ts);
        }
        row(start, labels, c.startSeconds(), "");
      }
    }
    return join(cpu, mem, rx, tx, start);
  }

  /**
   * kube-state-metrics: pod info and requests of the running containers, and PVC sizes.
   *
   * @param claims bytes requested per {@code namespace/claim}
   */
  static byte[] kubeStateMetrics(
      List<SimContainer> running,
      Map<String, Double> claims,
      Map<String, String> storageClasses,
      Map<String, Map<String, Integer>> gpuCapacity) {
    Family info = header("kube_pod_info", "gauge", "Information about pod.");
    Family req =
        header(
            "kube_pod_container_resource_requests",
            "gauge",
            "The number of requested resource by a container.");
    Family pvc =
        header(
            "kube_persistentvolumeclaim_resource_requests_storage_bytes",
            "gauge",
            "The capacity of storage requested by the persistent volume claim.");
    List<String> seen = new ArrayList<>();
    for (SimContainer c : running) {
      String owner =
          switch (c.workloadKind()) {
            case "Deployment" ->
                "ReplicaSet\",created_by_name=\"" + c.pod().substring(0, c.pod().lastIndexOf('-'));
            case "CronJob" ->
                "Job\",created_by_name=\"" + c.pod().substring(0, c.pod().lastIndexOf('-'));
            default -> c.workloadKind() + "\",created_by_name=\"" + c.workloadName();
          };
      if (!seen.contains(c.pod())) {
        seen.add(c.pod());
        row(
            info,
            "namespace=\""
                + c.namespace()
                + "\",pod=\""
                + c.pod()
                + "\",uid=\""
                + c.uid()
                + "\",node=\""
                + c.node()
                + "\",created_by_kind=\""
                + owner
                + "\",host_network=\""
                + c.hostNetwork()
                + "\"",
            1,
            "");
      }
      String base =
          "namespace=\""
              + c.namespace()
              + "\",pod=\""
              + c.pod()
              + "\",uid=\""
              + c.uid()
              + "\",container=\""
              + c.container()
              + "\",node=\""
              + c.node()
              + "\"";
      row(req, base + ",resource=\"cpu\",unit=\"core\"", c.requestCpu(), "");
      row(req, base + ",resource=\"memory\",unit=\"byte\"", c.requestMemory(), "");
      if (c.gpus() > 0) {
        row(
            req,
            base + ",resource=\"" + gpuResource(c.gpuDevice()) + "\",unit=\"integer\"",
            c.gpus(),
            "");
      }
    }
    Family capacity =
        header(
            "kube_node_status_capacity",
            "gauge",
            "The capacity for different resources of a node.");
    new TreeMap<>(gpuCapacity)
        .forEach(
            (node, devices) ->
                new TreeMap<>(devices)
                    .forEach(
                        (device, count) ->
                            row(
                                capacity,
                                "node=\""
                                    + node
                                    + "\",resource=\""
                                    + gpuResource(device)
                                    + "\",unit=\"integer\"",
                                count,
                                "")));
    Family pvcInfo =
        header(
            "kube_persistentvolumeclaim_info",
            "gauge",
            "Information about persistent volume claim.");
    new TreeMap<>(storageClasses)
        .forEach(
            (claim, storageClass) -> {
              int slash = claim.indexOf('/');
              row(
                  pvcInfo,
                  "namespace=\""
                      + claim.substring(0, slash)
                      + "\",persistentvolumeclaim=\""
                      + claim.substring(slash + 1)
                      + "\",storageclass=\""
                      + storageClass
                      + "\",volumename=\"pvc-"
                      + hex(claim, 8)
                      + "\",volumemode=\"Filesystem\"",
                  1,
                  "");
            });
    new TreeMap<>(claims)
        .forEach(
            (claim, bytes) -> {
              int slash = claim.indexOf('/');
              row(
                  pvc,
                  "namespace=\""
                      + claim.substring(0, slash)
                      + "\",persistentvolumeclaim=\""
                      + claim.substring(slash + 1)
                      + "\"",
                  bytes,
                  "");
            });
    return join(info, req, pvcInfo, pvc, capacity);
  }

  /** kube-state-metrics' name of an NVIDIA device resource ({@code nvidia.com/mig-1g.10gb}). */
  private static String gpuResource(String device) {
    return device.isEmpty()
        ? "nvidia_com_gpu"
        : "nvidia_com_mig_" + device.replace('.', '_').replace('+', '_');
  }

  /**
   * dcgm-exporter on a node in its Kubernetes mode: each GPU device's engine activity, the devices
   * in use attributed to their pods, the others to nobody.
   */
  static byte[] dcgm(
      String node, String model, Map<String, Integer> devices, List<SimContainer> running) {
    Family active =
        header(
            "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
            "gauge",
            "Ratio of time the graphics engine is active.");
    Map<String, List<SimContainer>> users = new TreeMap<>();
    for (SimContainer c : running) {
      if (c.gpus() > 0 && c.node().equals(node)) {
        users.computeIfAbsent(c.gpuDevice(), k -> new ArrayList<>()).add(c);
      }
    }
    int gpu = 0;
    for (Map.Entry<String, Integer> e : new TreeMap<>(devices).entrySet()) {
      // The devices of this kind in use, in order: each container holds as many as it requested.
      List<SimContainer> owners = new ArrayList<>();
      for (SimContainer c : users.getOrDefault(e.getKey(), List.of())) {
        for (int k = 0; k < c.gpus(); k++) {
          owners.add(c);
        }
      }
      for (int i = 0; i < e.getValue(); i++) {
        String uuid = "GPU-" + hex(node + "/" + gpu, 8) + "-0000-4000-8000-" + hex(node, 12);
        String labels =
            "gpu=\""
                + gpu
                + "\",UUID=\""
                + uuid
                + "\",device=\"nvidia"
                + gpu
                + "\",modelName=\""
                + model
                + "\""
                + (e.getKey().isEmpty()
                    ? ""
                    : ",GPU_I_PROFILE=\"" + e.getKey() + "\",GPU_I_ID=\"" + (i + 1) + "\"")
                + ",hostname=\""
                + node
                + "\"";
        SimContainer c = i < owners.size() ? owners.get(i) : null;
        row(
            active,
            c == null
                ? labels + ",container=\"\",namespace=\"\",pod=\"\""
                : labels
                    + ",container=\""
                    + c.container()
                    + "\",namespace=\""
                    + c.namespace()
                    + "\",pod=\""
                    + c.pod()
                    + "\"",
            c == null ? 0 : c.gpuUtil(),
            "");
        if (e.getKey().isEmpty()) {
          gpu++;
        }
      }
      if (!e.getKey().isEmpty()) {
        gpu++; // the MIG slices share one GPU
      }
    }
    return join(active);
  }

  /** node-exporter on a node up {@code up} seconds with {@code cores} and {@code memory} bytes. */
  static byte[] nodeExporter(String node, double up, int cores, double memory) {
    Family cpu =
        header("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
    for (int i = 0; i < cores; i++) {
      row(cpu, "cpu=\"" + i + "\",mode=\"idle\"", up * 0.7, "");
      row(cpu, "cpu=\"" + i + "\",mode=\"user\"", up * 0.3, "");
    }
    Family mem =
        header("node_memory_MemTotal_bytes", "gauge", "Memory information field MemTotal_bytes.");
    row(mem, "", memory, "");
    Family uname = header("node_uname_info", "gauge", "Labeled system information.");
    row(uname, "machine=\"x86_64\",nodename=\"" + node + "\",sysname=\"Linux\"", 1, "");
    return join(cpu, mem, uname);
  }

  /** A stable hex string of {@code length} digits derived from {@code seed}. */
  static String hex(String seed, int length) {
    StringBuilder out = new StringBuilder();
    long x = seed.hashCode() * 0x9E3779B97F4A7C15L;
    while (out.length() < length) {
      x ^= x >>> 31;
      x *= 0xBF58476D1CE4E5B9L;
      out.append(String.format(Locale.ROOT, "%016x", x));
    }
    return out.substring(0, length);
  }

  private static Family header(String name, String type, String help) {
    return new Family(name, type, help);
  }

  private static void row(Family family, String labels, double value, String ts) {
    family.row(labels, value, ts);
  }

  private static String format(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }

  private static byte[] join(Family... families) {
    StringBuilder out = new StringBuilder();
    for (Family f : families) {
      out.append(f.text);
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One metric family's text. */
  private static final class Family {
    private final String name;
    private final StringBuilder text = new StringBuilder();

    Family(String name, String type, String help) {
      this.name = name;
      text.append("# HELP ").append(name).append(' ').append(help).append('\n');
      text.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    void row(String labels, double value, String ts) {
      text.append(name);
      if (!labels.isEmpty()) {
        text.append('{').append(labels).append('}');
      }
      text.append(' ').append(format(value)).append(ts).append('\n');
    }
  }
}
