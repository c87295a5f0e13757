package dev.chargeback.meter.sim;

import dev.chargeback.meter.price.PricedResource;
import dev.chargeback.meter.rollup.Resource;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A small cluster whose usage is known exactly: two nodes, the first with GPUs (a whole A100 and
 * seven 1g.10gb MIG slices of another); namespaces {@code default}, {@code team-a}, {@code team-b},
 * {@code batch}, {@code ml} and {@code kube-system}; Deployments, a StatefulSet, an hourly CronJob
 * whose pods live five minutes (from :25), a nightly one, a daily GPU training Job and a MIG-slice
 * service, and a host-network DaemonSet; busier on weekdays' working hours, team-b doubled from
 * each month's 15th. It renders what real endpoints (kubelets, node-exporter, kube-state-metrics,
 * dcgm-exporter) would answer at any instant and says what usage that implies.
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

  /** sim-node-1's GPUs: one whole A100, and one split into seven 1g.10gb MIG slices. */
  static final String GPU_MODEL = "NVIDIA A100-SXM4-80GB";

  private static final Map<String, Integer> GPUS = Map.of("", 1, "1g.10gb", 7);

  public SimCluster() {
    double inf = Double.POSITIVE_INFINITY;
    steady.add(embed());
    for (String suffix : List.of("x2kqp", "p7znm")) {
      String pod = "web-5d8f7c9b6-" + suffix;
      String node = suffix.equals("x2kqp") ? nodes.get(0) : nodes.get(1);
      steady.addAll(webPod(pod, node, EPOCH, inf));
    }
    steady.add(
        container(
            "team-a",
            "db-0",
            "postgres",
            "StatefulSet",
            "db",
            nodes.get(0),
            EPOCH,
            inf,
            0.6,
            0.3,
            GIB,
            512 * MIB,
            50_000,
            80_000,
            false,
            1.0,
            2 * GIB));
    steady.add(
        container(
            "team-a",
            "api-7c6b5d9f8-h4k2m",
            "api",
            "Deployment",
            "api",
            nodes.get(1),
            EPOCH,
            inf,
            0.3,
            0.1,
            300 * MIB,
            100 * MIB,
            30_000,
            30_000,
            false,
            0.5,
            512 * MIB));
    steady.add(worker("worker-6c9d8b7f5-q9wzt", EPOCH, inf));
    for (String node : nodes) {
      String pod = "kube-proxy-" + (node.endsWith("1") ? "v8r2k" : "z5m7c");
      steady.add(
          container(
              "kube-system",
              pod,
              "kube-proxy",
              "DaemonSet",
              "kube-proxy",
              node,
              EPOCH,
              inf,
              0.02,
              0.0,
              40 * MIB,
              0,
              0,
              0,
              true,
              0.1,
              64 * MIB));
    }
  }

  /** ml's embedding service: one 1g.10gb MIG slice of sim-node-1, at 30 %, always. */
  private SimContainer embed() {
    return container(
            "ml",
            "embed-7f9c8d6b5-q4wzn",
            "embed",
            "Deployment",
            "embed",
            nodes.get(0),
            EPOCH,
            Double.POSITIVE_INFINITY,
            0.1,
            0.02,
            512 * MIB,
            64 * MIB,
            10_000,
            10_000,
            false,
            0.2,
            1 * GIB)
        .withGpus(1, "1g.10gb", 0.3);
  }

  /** ml's daily training Job: sim-node-1's whole A100 from 10:00 to 22:00 UTC, at 80 %. */
  private SimContainer training(double midnight, long day) {
    double start = midnight + 10 * 3600;
    return container(
            "ml",
            "train-" + (long) (start / 60) + "-" + suffix("train" + day),
            "train",
            "CronJob",
            "train",
            nodes.get(0),
            start,
            start + 12 * 3600,
            0.5,
            0,
            4 * GIB,
            0,
            50_000,
            5_000,
            false,
            0.5,
            4 * GIB)
        .withGpus(1, "", 0.8);
  }

  /** A web pod of {@code default}: its app and proxy containers. */
  private static List<SimContainer> webPod(String pod, String node, double start, double end) {
    return List.of(
        container(
            "default",
            pod,
            "app",
            "Deployment",
            "web",
            node,
            start,
            end,
            0.25,
            0.15,
            256 * MIB,
            128 * MIB,
            20_000,
            10_000,
            false,
            0.25,
            384 * MIB),
        container(
            "default",
            pod,
            "proxy",
            "Deployment",
            "web",
            node,
            start,
            end,
            0.05,
            0.02,
            64 * MIB,
            16 * MIB,
            0,
            0,
            false,
            0.05,
            64 * MIB));
  }

  /** A worker pod of team-b, on node 2. */
  private SimContainer worker(String pod, double start, double end) {
    return container(
        "team-b",
        pod,
        "worker",
        "Deployment",
        "worker",
        nodes.get(1),
        start,
        end,
        1.0,
        0.5,
        2 * GIB,
        512 * MIB,
        5_000,
        2_000,
        false,
        1.0,
        3 * GIB);
  }

  /** A container, its uid from its namespace and pod. */
  private static SimContainer container(
      String ns,
      String pod,
      String container,
      String kind,
      String workload,
      String node,
      double start,
      double end,
      double cpu,
      double cpuAmp,
      double mem,
      double memAmp,
      double rx,
      double tx,
      boolean hostNetwork,
      double reqCpu,
      double reqMem) {
    return new SimContainer(
        ns,
        pod,
        container,
        kind,
        workload,
        uid(ns + "/" + pod),
        node,
        start,
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
    String h = SimExposition.hex(seed, 32);
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

  public List<String> nodes() {
    return nodes;
  }

  /**
   * The nodes' labels: sim-node-1 an on-demand instance with A100 GPUs (GPU feature discovery's
   * {@code nvidia.com/gpu.product}), sim-node-2 a spot one (the demo's price book prices them as
   * node classes {@code a100} and {@code spot}).
   */
  public Map<String, Map<String, String>> nodeLabels() {
    return Map.of(
        nodes.get(0),
        Map.of(
            "kubernetes.io/hostname",
            nodes.get(0),
            "node.kubernetes.io/instance-type",
            "p4de.24xlarge",
            "karpenter.sh/capacity-type",
            "on-demand",
            "nvidia.com/gpu.product",
            GPU_MODEL.replace(' ', '-')),
        nodes.get(1),
        Map.of(
            "kubernetes.io/hostname", nodes.get(1),
            "node.kubernetes.io/instance-type", "m6i.xlarge",
            "karpenter.sh/capacity-type", "spot"));
  }

  /** The demo's price book (YAML): the default prices, and node class {@code spot}. */
  public static String priceBook() {
    try (InputStream in = SimCluster.class.getResourceAsStream("demo-prices.yaml")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The namespaces that use resources. */
  public List<String> namespaces() {
    TreeSet<String> out = new TreeSet<>();
    steady.forEach(c -> out.add(c.namespace()));
    out.add("batch");
    return List.copyOf(out);
  }

  /**
   * The simulated namespaces' {@code chargeback.dev/} annotations: monthly budgets (in the default
   * book's won), team-a's roomy and team-b's well under what it spends (about 40,000 a month), so
   * the demo shows a namespace forecast, then found, over budget.
   */
  public Map<String, Map<String, String>> namespaceAnnotations() {
    return Map.of(
        "team-a", Map.of("chargeback.dev/budget", "500000"),
        "team-b", Map.of("chargeback.dev/budget", "20000"));
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
            case "batch" -> Map.of("team", "data", "cost-center", "CC-3001");
            case "ml" -> Map.of("team", "research", "cost-center", "CC-4002");
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
    for (SimContainer c : shaped(from, to)) {
      if (c.endSeconds() + SimContainer.LINGER >= from && c.startSeconds() <= to) {
        out.add(c);
      }
    }
    return out;
  }

  /**
   * What gives the cluster its daily, weekly and monthly shape (all in UTC, all closed-form): two
   * more web replicas in {@code default} on weekdays from 09:00 to 18:00; {@code batch}'s nightly
   * Job from 01:00 to 03:00; and team-b's worker doubled from each month's 15th to its end (a
   * deploy that scaled it up, reset when the month turns).
   */
  private List<SimContainer> shaped(double from, double to) {
    List<SimContainer> out = new ArrayList<>();
    long firstDay = (long) Math.floor((from - SimContainer.LINGER) / SimContainer.DAY) - 1;
    long lastDay = (long) Math.floor(to / SimContainer.DAY);
    for (long d = firstDay; d <= lastDay; d++) {
      double midnight = d * SimContainer.DAY;
      DayOfWeek weekday = LocalDate.ofEpochDay(d).getDayOfWeek();
      if (weekday != DayOfWeek.SATURDAY && weekday != DayOfWeek.SUNDAY) {
        for (int replica = 0; replica < 2; replica++) {
          String pod = "web-5d8f7c9b6-" + suffix("web" + d + "/" + replica);
          double start = midnight + 9 * 3600;
          double end = midnight + 18 * 3600;
          out.addAll(webPod(pod, nodes.get(replica), start, end));
        }
      }
      out.add(training(midnight, d));
      double start = midnight + 3600;
      out.add(
          container(
              "batch",
              "nightly-etl-" + (long) (start / 60) + "-" + suffix("etl" + d),
              "etl",
              "CronJob",
              "nightly-etl",
              nodes.get(0),
              start,
              start + 2 * 3600,
              1.5,
              0,
              2 * GIB,
              0,
              200_000,
              50_000,
              false,
              2.0,
              3 * GIB));
    }
    YearMonth last = YearMonth.from(LocalDate.ofEpochDay(lastDay));
    for (YearMonth m = YearMonth.from(LocalDate.ofEpochDay(firstDay)).minusMonths(1);
        !m.isAfter(last);
        m = m.plusMonths(1)) {
      out.add(
          worker(
              "worker-6c9d8b7f5-" + suffix("worker" + m),
              m.atDay(15).toEpochDay() * SimContainer.DAY,
              m.plusMonths(1).atDay(1).toEpochDay() * SimContainer.DAY));
    }
    return out;
  }

  /** Five characters as a ReplicaSet or Job gives its pods, stable for {@code seed}. */
  private static String suffix(String seed) {
    String alphabet = "bcdfghjklmnpqrstvwxz2456789";
    String h = SimExposition.hex(seed, 10);
    StringBuilder out = new StringBuilder(5);
    for (int i = 0; i < 5; i++) {
      out.append(
          alphabet.charAt(Integer.parseInt(h.substring(2 * i, 2 * i + 2), 16) % alphabet.length()));
    }
    return out.toString();
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
            case REQUEST_GPU -> c.gpuSeconds(from, to);
            case GPU -> c.gpuSeconds(from, to) * c.gpuUtil();
            default -> throw new IllegalArgumentException("no expectation for " + resource);
          };
    }
    return sum;
  }

  // ---- rendering

  /** What node {@code node}'s kubelet answers on /metrics/cadvisor at {@code millis}. */
  public byte[] cadvisor(String node, long millis) {
    double t = millis / 1000.0;
    List<SimContainer> here = new ArrayList<>();
    for (SimContainer c : containers(t, t)) {
      if (c.node().equals(node) && c.visible(t)) {
        here.add(c);
      }
    }
    double sinceEpoch = t - EPOCH;
    return SimExposition.cadvisor(
        here, millis, NODE_TRAFFIC * sinceEpoch, NODE_TRAFFIC / 2 * sinceEpoch, EPOCH - 86400);
  }

  /** What kube-state-metrics answers at {@code millis}: pod info, requests, PVCs. */
  public byte[] kubeStateMetrics(long millis) {
    double t = millis / 1000.0;
    List<SimContainer> running = new ArrayList<>();
    for (SimContainer c : containers(t, t)) {
      if (c.running(t)) {
        running.add(c);
      }
    }
    return SimExposition.kubeStateMetrics(
        running,
        Map.of("team-a/data-db-0", 20 * GIB, "default/uploads", 5 * GIB),
        Map.of("team-a/data-db-0", "premium-rwo", "default/uploads", "standard"),
        Map.of(gpuNode(), GPUS));
  }

  /** The node with GPUs (and a dcgm-exporter). */
  public String gpuNode() {
    return nodes.get(0);
  }

  /** What dcgm-exporter on {@code node} answers at {@code millis} (nothing off the GPU node). */
  public byte[] dcgm(String node, long millis) {
    double t = millis / 1000.0;
    List<SimContainer> running = new ArrayList<>();
    for (SimContainer c : containers(t, t)) {
      if (c.running(t)) {
        running.add(c);
      }
    }
    return SimExposition.dcgm(node, GPU_MODEL, node.equals(gpuNode()) ? GPUS : Map.of(), running);
  }

  /** What node-exporter on {@code node} answers at {@code millis}. */
  public byte[] nodeExporter(String node, long millis) {
    return SimExposition.nodeExporter(node, millis / 1000.0 - EPOCH, NODE_CORES, NODE_MEMORY);
  }

  /** Expected node capacity: cores and bytes per node. */
  public static double nodeCores() {
    return NODE_CORES;
  }
}
