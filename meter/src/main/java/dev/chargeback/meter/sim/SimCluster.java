package dev.chargeback.meter.sim;

import dev.chargeback.meter.price.PricedResource;
import dev.chargeback.meter.rollup.Resource;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A small cluster whose usage is known exactly: two nodes; namespaces {@code default}, {@code
 * team-a}, {@code team-b} and {@code kube-system}; Deployments, a StatefulSet, an hourly CronJob
 * whose pods live five minutes (from :25), and a host-network DaemonSet. It renders what real
 * endpoints would answer at any instant and says what usage that implies.
 */
public final class SimCluster {
  private static final double GIB = PricedResource.GIB;
  private static final double MIB = 1024.0 * 1024;

  /** Long-running pods started here: 2020-01-01T00:00:00Z. */
  static final double EPOCH = 1_577_836_800;

  private static final double NODE_TRAFFIC = 2_000_000;
  private static final int NODE_CORES = 4;
  private static final double NODE_MEMORY = 16 * GIB;
  private static final double JOB_MINUTE = 25;
  private static final double JOB_SECONDS = 300;

  private final List<String> nodes = List.of("sim-node-1", "sim-node-2");
  private final List<SimContainer> steady = new ArrayList<>();

  public SimCluster() {
    double inf = Double.POSITIVE_INFINITY;
    for (String suffix : List.of("x2kqp", "p7znm")) {
      String pod = "web-5d8f7c9b6-" + suffix;
      String node = suffix.equals("x2kqp") ? nodes.get(0) : nodes.get(1);
      steady.add(
          c(
              "default",
              pod,
              "app",
              "Deployment",
              "web",
              node,
              0.25,
              0.15,
              256 * MIB,
              128 * MIB,
              20_000,
              10_000,
              false,
              0.25,
              384 * MIB,
              inf));
      steady.add(
          c(
              "default",
              pod,
              "proxy",
              "Deployment",
              "web",
              node,
              0.05,
              0.02,
              64 * MIB,
              16 * MIB,
              0,
              0,
              false,
              0.05,
              64 * MIB,
              inf));
    }
    steady.add(
        c(
            "team-a",
            "db-0",
            "postgres",
            "StatefulSet",
            "db",
            nodes.get(0),
            0.6,
            0.3,
            GIB,
            512 * MIB,
            50_000,
            80_000,
            false,
            1.0,
            2 * GIB,
            inf));
    steady.add(
        c(
            "team-a",
            "api-7c6b5d9f8-h4k2m",
            "api",
            "Deployment",
            "api",
            nodes.get(1),
            0.3,
            0.1,
            300 * MIB,
            100 * MIB,
            30_000,
            30_000,
            false,
            0.5,
            512 * MIB,
            inf));
    steady.add(
        c(
            "team-b",
            "worker-6c9d8b7f5-q9wzt",
            "worker",
            "Deployment",
            "worker",
            nodes.get(1),
            1.0,
            0.5,
            2 * GIB,
            512 * MIB,
            5_000,
            2_000,
            false,
            1.0,
            3 * GIB,
            inf));
    for (String node : nodes) {
      String pod = "kube-proxy-" + (node.endsWith("1") ? "v8r2k" : "z5m7c");
      steady.add(
          c(
              "kube-system",
              pod,
              "kube-proxy",
              "DaemonSet",
              "kube-proxy",
              node,
              0.02,
              0.0,
              40 * MIB,
              0,
              0,
              0,
              true,
              0.1,
              64 * MIB,
              inf));
    }
  }

  private static SimContainer c(
      String ns,
      String pod,
      String container,
      String kind,
      String workload,
      String node,
      double cpu,
      double cpuAmp,
      double mem,
      double memAmp,
      double rx,
      double tx,
      boolean hostNetwork,
      double reqCpu,
      double reqMem,
      double end) {
    return new SimContainer(
        ns,
        pod,
        container,
        kind,
        workload,
        uid(ns + "/" + pod),
        node,
        EPOCH,
        end,
        cpu,
        cpuAmp,
        mem,
        memAmp,
        rx,
        tx,
        hostNetwork,
        reqCpu,
        reqMem);
  }

  /** A stable, UUID-shaped id. */
  private static String uid(String seed) {
    String h = hex(seed, 32);
    return h.substring(0, 8)
        + "-"
        + h.substring(8, 12)
        + "-"
        + h.substring(12, 16)
        + "-"
        + h.substring(16, 20)
        + "-"
        + h.substring(20);
  }

  private static String hex(String seed, int length) {
    StringBuilder out = new StringBuilder();
    long x = seed.hashCode() * 0x9E3779B97F4A7C15L;
    while (out.length() < length) {
      x ^= x >>> 31;
      x *= 0xBF58476D1CE4E5B9L;
      out.append(String.format(Locale.ROOT, "%016x", x));
    }
    return out.substring(0, length);
  }

  public List<String> nodes() {
    return nodes;
  }

  /** The namespaces that use resources. */
  public List<String> namespaces() {
    TreeSet<String> out = new TreeSet<>();
    steady.forEach(c -> out.add(c.namespace()));
    return List.copyOf(out);
  }

  /** The simulated namespaces' team and cost-centre labels, as a cluster's would carry them. */
  public Map<String, Map<String, String>> namespaceLabels() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    for (String ns : namespaces()) {
      out.put(
          ns,
          switch (ns) {
            case "team-a" -> Map.of("team", "payments", "cost-center", "CC-1017");
            case "team-b" -> Map.of("team", "search", "cost-center", "CC-2040");
            default -> Map.of("team", "platform", "cost-center", "CC-1000");
          });
    }
    return out;
  }

  /** The CronJob run of hour {@code hour} (epoch hours): team-b's report, on node 2. */
  private SimContainer job(long hour) {
    double start = hour * 3600.0 + JOB_MINUTE * 60;
    long minutes = (long) (start / 60);
    String suffix = "bcdfg".charAt((int) (hour % 5)) + "k" + "z7q".charAt((int) (hour % 3)) + "m2";
    String pod = "report-" + minutes + "-" + suffix;
    return new SimContainer(
        "team-b",
        pod,
        "report",
        "CronJob",
        "report",
        uid("job" + hour),
        nodes.get(1),
        start,
        start + JOB_SECONDS,
        0.2,
        0,
        100 * MIB,
        0,
        100_000,
        20_000,
        false,
        0.2,
        128 * MIB);
  }

  /**
   * A simulated pod as the Kubernetes API would list it.
   *
   * @param kind its controller's kind: Deployment, StatefulSet, DaemonSet or CronJob
   * @param workload its controller's name
   */
  public record Pod(
      String namespace,
      String name,
      String node,
      String kind,
      String workload,
      boolean hostNetwork) {}

  /** The pods that exist at {@code millis}. */
  public List<Pod> pods(long millis) {
    Set<Pod> out = new LinkedHashSet<>();
    for (SimContainer c : containers(millis / 1000.0, millis / 1000.0)) {
      if (c.startSeconds() <= millis / 1000.0 && c.endSeconds() > millis / 1000.0) {
        out.add(
            new Pod(
                c.namespace(),
                c.pod(),
                c.node(),
                c.workloadKind(),
                c.workloadName(),
                c.hostNetwork()));
      }
    }
    return List.copyOf(out);
  }

  /** Every container that is visible, or used resources, in [from, to] (epoch seconds). */
  private List<SimContainer> containers(double from, double to) {
    List<SimContainer> out = new ArrayList<>(steady);
    long first = (long) Math.floor((from - JOB_SECONDS - SimContainer.LINGER) / 3600) - 1;
    for (long h = first; h <= (long) Math.floor(to / 3600); h++) {
      SimContainer j = job(h);
      if (j.endSeconds() + SimContainer.LINGER >= from && j.startSeconds() <= to) {
        out.add(j);
      }
    }
    return out;
  }

  /**
   * The exact usage of {@code namespace} in [fromMillis, toMillis], in the resource's unit.
   * Host-network pods use no billable network.
   */
  public double expected(String namespace, Resource resource, long fromMillis, long toMillis) {
    double from = fromMillis / 1000.0;
    double to = toMillis / 1000.0;
    double sum = 0;
    for (SimContainer c : containers(from, to)) {
      if (!c.namespace().equals(namespace)) {
        continue;
      }
      sum +=
          switch (resource) {
            case CPU -> c.cpuSeconds(from, to);
            case MEMORY -> c.memorySeconds(from, to);
            case NETWORK_RECEIVE -> c.hostNetwork() ? 0 : c.bytes(c.rxRate(), from, to);
            case NETWORK_TRANSMIT -> c.hostNetwork() ? 0 : c.bytes(c.txRate(), from, to);
            default -> throw new IllegalArgumentException("no expectation for " + resource);
          };
    }
    return sum;
  }

  // ---- rendering

  /** What node {@code node}'s kubelet answers on /metrics/cadvisor at {@code millis}. */
  public byte[] cadvisor(String node, long millis) {
    double t = millis / 1000.0;
    String ts = " " + millis;
    List<SimContainer> here = new ArrayList<>();
    for (SimContainer c : containers(t, t)) {
      if (c.node().equals(node) && c.visible(t)) {
        here.add(c);
      }
    }
    double rootRx = NODE_TRAFFIC * (t - EPOCH);
    double rootTx = NODE_TRAFFIC / 2 * (t - EPOCH);
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
    row(start, root, EPOCH - 86400, "");
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

  /** What kube-state-metrics answers at {@code millis}: pod info, requests, PVCs. */
  public byte[] kubeStateMetrics(long millis) {
    double t = millis / 1000.0;
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
    for (SimContainer c : containers(t, t)) {
      if (!c.running(t)) {
        continue;
      }
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
    }
    row(pvc, "namespace=\"team-a\",persistentvolumeclaim=\"data-db-0\"", 20 * GIB, "");
    row(pvc, "namespace=\"default\",persistentvolumeclaim=\"uploads\"", 5 * GIB, "");
    return join(info, req, pvc);
  }

  /** What node-exporter on {@code node} answers at {@code millis}. */
  public byte[] nodeExporter(String node, long millis) {
    double up = millis / 1000.0 - EPOCH;
    Family cpu =
        header("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
    for (int i = 0; i < NODE_CORES; i++) {
      row(cpu, "cpu=\"" + i + "\",mode=\"idle\"", up * 0.7, "");
      row(cpu, "cpu=\"" + i + "\",mode=\"user\"", up * 0.3, "");
    }
    Family mem =
        header("node_memory_MemTotal_bytes", "gauge", "Memory information field MemTotal_bytes.");
    row(mem, "", NODE_MEMORY, "");
    Family uname = header("node_uname_info", "gauge", "Labeled system information.");
    row(uname, "machine=\"x86_64\",nodename=\"" + node + "\",sysname=\"Linux\"", 1, "");
    return join(cpu, mem, uname);
  }

  /** Expected node capacity: cores and bytes per node. */
  public static double nodeCores() {
    return NODE_CORES;
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
