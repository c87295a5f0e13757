package dev.chargeback.meter.sim;

import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Pod churn as CI runners, Argo steps and Jobs make it: a new pod every {@code 86400 / podsPerDay}
 * seconds, each with a unique name (so a unique workload), one container, living {@code lifetime}
 * seconds, placed round-robin on {@code nodes} kubelets. Pod {@code i} starts at {@code epoch + i ×
 * gap}. Its rates are constant, so what it used in any interval is known exactly.
 */
public record SimChurn(long epochMillis, int podsPerDay, long lifetimeSeconds, int nodes) {
  /** Namespaces the pods spread over. */
  public static final int NAMESPACES = 20;

  private static final double CORES = 0.25;
  private static final double MEMORY_BYTES = 256.0 * 1024 * 1024;
  private static final double NETWORK_BYTES_PER_SECOND = 20_000;

  private double gapSeconds() {
    return 86_400.0 / podsPerDay;
  }

  private long startMillis(long pod) {
    return epochMillis + Math.round(pod * gapSeconds() * 1000);
  }

  /** Pods alive at {@code millis}: started in (millis − lifetime, millis]. */
  private long[] alive(long millis) {
    double gap = gapSeconds() * 1000;
    long last = (long) Math.floor((millis - epochMillis) / gap);
    long first =
        Math.max(0, (long) Math.floor((millis - lifetimeSeconds * 1000 - epochMillis) / gap) + 1);
    return new long[] {first, last};
  }

  public static String namespace(long pod) {
    return String.format(Locale.ROOT, "ci-%02d", pod % NAMESPACES);
  }

  public static String podName(long pod) {
    return "argo-step" + pod;
  }

  /** {@code node}'s cAdvisor text at {@code millis}: the billed families of its live pods. */
  public byte[] cadvisor(int node, long millis) {
    long[] range = alive(millis);
    List<String> container = new ArrayList<>();
    List<String> sandbox = new ArrayList<>();
    List<Long> pods = new ArrayList<>();
    for (long p = Math.max(range[0], 0); p <= range[1]; p++) {
      if (p % nodes != node) {
        continue;
      }
      String uid = String.format(Locale.ROOT, "%08x-0000-4000-8000-%012x", node, p);
      String common = ",namespace=\"" + namespace(p) + "\",pod=\"" + podName(p) + "\"}";
      container.add(
          "{container=\"main\",id=\"/kubepods.slice/kubepods-burstable.slice/pod"
              + uid
              + "/cri-containerd-"
              + uid
              + "\",image=\"registry.example/ci:2.1\",name=\""
              + uid
              + "\""
              + common);
      sandbox.add(
          "{container=\"\",id=\"/kubepods.slice/kubepods-burstable.slice/pod"
              + uid
              + "\",image=\"\",interface=\"eth0\",name=\"\""
              + common);
      pods.add(p);
    }
    StringBuilder out = new StringBuilder(pods.size() * 1200 + 256);
    SimFleet.family(out, "container_cpu_usage_seconds_total", "counter");
    for (int i = 0; i < pods.size(); i++) {
      double seconds = (millis - startMillis(pods.get(i))) / 1000.0;
      SimFleet.line(
          out, "container_cpu_usage_seconds_total", container.get(i), CORES * seconds, millis);
    }
    SimFleet.family(out, "container_memory_working_set_bytes", "gauge");
    for (String labels : container) {
      SimFleet.line(out, "container_memory_working_set_bytes", labels, MEMORY_BYTES, millis);
    }
    SimFleet.family(out, "container_start_time_seconds", "gauge");
    for (int i = 0; i < pods.size(); i++) {
      SimFleet.line(
          out,
          "container_start_time_seconds",
          container.get(i),
          startMillis(pods.get(i)) / 1000.0,
          Long.MIN_VALUE);
    }
    for (String name :
        new String[] {
          "container_network_receive_bytes_total", "container_network_transmit_bytes_total"
        }) {
      SimFleet.family(out, name, "counter");
      for (int i = 0; i < pods.size(); i++) {
        double seconds = (millis - startMillis(pods.get(i))) / 1000.0;
        SimFleet.line(out, name, sandbox.get(i), NETWORK_BYTES_PER_SECOND * seconds, millis);
      }
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * What live metering records for [fromMillis, toMillis): each pod's usage in that interval, per
   * resource (to fill a store with history quickly, as an import would).
   */
  public List<Usage> usage(long fromMillis, long toMillis) {
    List<Usage> out = new ArrayList<>();
    long first = alive(fromMillis)[0];
    long last = alive(toMillis - 1)[1];
    for (long p = first; p <= last; p++) {
      long start = Math.max(fromMillis, startMillis(p));
      long end = Math.min(toMillis, startMillis(p) + lifetimeSeconds * 1000);
      if (end <= start) {
        continue;
      }
      double seconds = (end - start) / 1000.0;
      String ns = namespace(p);
      String workload = "Pod/" + podName(p);
      out.add(new Usage(ns, workload, "", Resource.CPU, start, end, CORES * seconds));
      out.add(new Usage(ns, workload, "", Resource.MEMORY, start, end, MEMORY_BYTES * seconds));
      out.add(
          new Usage(
              ns,
              workload,
              "",
              Resource.NETWORK_RECEIVE,
              start,
              end,
              NETWORK_BYTES_PER_SECOND * seconds));
      out.add(
          new Usage(
              ns,
              workload,
              "",
              Resource.NETWORK_TRANSMIT,
              start,
              end,
              NETWORK_BYTES_PER_SECOND * seconds));
    }
    return out;
  }
}
