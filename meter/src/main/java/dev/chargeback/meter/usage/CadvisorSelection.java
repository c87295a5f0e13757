package dev.chargeback.meter.usage;

import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.exposition.Sample;
import dev.chargeback.meter.rollup.Resource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Billable rows of a kubelet's {@code /metrics/cadvisor}. A real kubelet sends four kinds of rows
 * (node cgroups, pod cgroups, sandbox containers, application containers); each resource is billed
 * from exactly one kind, so nothing is counted twice:
 *
 * <ul>
 *   <li>CPU and memory: application containers only ({@code container} set and not {@code POD}).
 *   <li>Network: the pod's sandbox (or pod cgroup) rows, per interface; host-network pods report
 *       the node's interfaces and are not billed.
 * </ul>
 */
final class CadvisorSelection implements Selection {
  static final String CPU = "container_cpu_usage_seconds_total";
  static final String MEMORY = "container_memory_working_set_bytes";
  static final String RECEIVE = "container_network_receive_bytes_total";
  static final String TRANSMIT = "container_network_transmit_bytes_total";
  static final String START = "container_start_time_seconds";

  /** Pod counters within this fraction of the root cgroup's are the node's own interfaces. */
  private static final double HOST_NETWORK_TOLERANCE = 0.01;

  private final String node;
  private final PodDirectory pods;
  private final List<Sample> cpu = new ArrayList<>();
  private final List<Sample> memory = new ArrayList<>();
  private final List<Sample> network = new ArrayList<>();
  private final Map<String, Double> rootNetwork = new HashMap<>();
  private final Map<String, Double> startById = new HashMap<>();

  CadvisorSelection(String node, PodDirectory pods) {
    this.node = node;
    this.pods = pods;
  }

  @Override
  public boolean wants(String name) {
    return switch (name) {
      case CPU, MEMORY, RECEIVE, TRANSMIT, START -> true;
      default -> false;
    };
  }

  @Override
  public void sample(Sample s) {
    Labels l = s.labels();
    switch (s.name()) {
      case START -> startById.put(l.get("id"), s.value());
      case CPU -> {
        if (isAppContainer(l)) {
          cpu.add(s);
        }
      }
      case MEMORY -> {
        if (isAppContainer(l)) {
          memory.add(s);
        }
      }
      default -> {
        if (l.get("id").equals("/")) {
          rootNetwork.put(s.name() + '\u0000' + l.get("interface"), s.value());
        } else if (isPodNetworkRow(l)) {
          network.add(s);
        }
      }
    }
  }

  private static String container(Labels l) {
    return l.first("container", "container_name");
  }

  private static String pod(Labels l) {
    return l.first("pod", "pod_name");
  }

  private static boolean isAppContainer(Labels l) {
    String container = container(l);
    return !container.isEmpty()
        && !container.equals("POD")
        && !pod(l).isEmpty()
        && !l.get("namespace").isEmpty();
  }

  private static boolean isPodNetworkRow(Labels l) {
    String container = container(l);
    return (container.isEmpty() || container.equals("POD"))
        && !pod(l).isEmpty()
        && !l.get("namespace").isEmpty();
  }

  @Override
  public List<Reading> finish(long scrapeMillis) {
    List<Reading> out = new ArrayList<>(cpu.size() + memory.size() + network.size());
    Set<Labels> withTotal = new HashSet<>();
    for (Sample s : cpu) {
      if (s.labels().get("cpu").equals("total")) {
        withTotal.add(s.labels().without("cpu"));
      }
    }
    for (Sample s : cpu) {
      String core = s.labels().get("cpu");
      if (core.equals("total") || !withTotal.contains(s.labels().without("cpu"))) {
        out.add(reading(s, Reading.Kind.COUNTER, Resource.CPU, scrapeMillis));
      }
    }
    for (Sample s : memory) {
      out.add(reading(s, Reading.Kind.GAUGE, Resource.MEMORY, scrapeMillis));
    }
    selectNetwork(out, scrapeMillis);
    return out;
  }

  private void selectNetwork(List<Reading> out, long scrapeMillis) {
    // Per pod: is it on the host network, and does it have sandbox rows (preferred over the pod
    // cgroup's, should a kubelet send both)?
    Set<String> hostNetwork = new HashSet<>();
    Set<String> hasSandbox = new HashSet<>();
    for (Sample s : network) {
      Labels l = s.labels();
      String pod = l.get("namespace") + '/' + pod(l);
      if (!l.get("image").isEmpty() || container(l).equals("POD")) {
        hasSandbox.add(pod);
      }
      Double root = rootNetwork.get(s.name() + '\u0000' + l.get("interface"));
      if (root != null && root > 0 && Math.abs(s.value() - root) <= HOST_NETWORK_TOLERANCE * root) {
        hostNetwork.add(pod);
      }
    }
    for (Sample s : network) {
      Labels l = s.labels();
      String ns = l.get("namespace");
      String podName = pod(l);
      String pod = ns + '/' + podName;
      PodDirectory.Pod info = pods.get(ns, podName);
      boolean onHost = info != null ? info.hostNetwork() : hostNetwork.contains(pod);
      boolean podCgroupRow = l.get("image").isEmpty() && !container(l).equals("POD");
      if (onHost || (podCgroupRow && hasSandbox.contains(pod))) {
        continue;
      }
      Resource r = s.name().equals(RECEIVE) ? Resource.NETWORK_RECEIVE : Resource.NETWORK_TRANSMIT;
      out.add(reading(s, Reading.Kind.COUNTER, r, scrapeMillis));
    }
  }

  private Reading reading(Sample s, Reading.Kind kind, Resource resource, long scrapeMillis) {
    Labels l = s.labels();
    String ns = l.get("namespace");
    String pod = pod(l);
    Double start = startById.get(l.get("id"));
    // CPU and memory rows are application containers': basis max compares each with its request.
    double request =
        resource.billable() == null ? Double.NaN : pods.request(ns, pod, container(l), resource);
    return new Reading(
        l.identity(s.name()),
        kind,
        resource,
        ns,
        pods.workload(ns, pod),
        node,
        s.value(),
        s.hasTimestamp() ? s.timestampMillis() : scrapeMillis,
        start == null ? Double.NaN : start,
        Double.isNaN(request) ? "" : ns + '/' + pod + '/' + container(l),
        request);
  }
}
