package dev.chargeback.meter.sim;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A fleet of synthetic kubelets for load: any number of nodes, each with {@value
 * #CONTAINERS_PER_NODE} containers and the families a real cAdvisor sends (about 400 KB a scrape).
 * Counters grow linearly in time, so what a namespace used between two instants is known exactly
 * ({@link #cpuSeconds}). {@link SimCluster} is the realistic small cluster; this is the big one.
 */
public final class SimFleet {
  public static final int CONTAINERS_PER_NODE = 30;

  /** Namespaces the fleet's containers spread over. */
  public static final int NAMESPACES = 200;

  private static final String[] FILLER = {
    "container_cpu_system_seconds_total",
    "container_cpu_user_seconds_total",
    "container_cpu_cfs_periods_total",
    "container_cpu_cfs_throttled_periods_total",
    "container_cpu_cfs_throttled_seconds_total",
    "container_cpu_load_average_10s",
    "container_file_descriptors",
    "container_fs_inodes_free",
    "container_fs_inodes_total",
    "container_fs_io_current",
    "container_fs_io_time_seconds_total",
    "container_fs_limit_bytes",
    "container_fs_read_seconds_total",
    "container_fs_reads_bytes_total",
    "container_fs_reads_total",
    "container_fs_usage_bytes",
    "container_fs_write_seconds_total",
    "container_fs_writes_bytes_total",
    "container_fs_writes_total",
    "container_last_seen",
    "container_memory_cache",
    "container_memory_failcnt",
    "container_memory_failures_total",
    "container_memory_mapped_file",
    "container_memory_max_usage_bytes",
    "container_memory_rss",
    "container_memory_swap",
    "container_memory_usage_bytes",
    "container_oom_events_total",
    "container_processes",
    "container_sockets",
    "container_spec_cpu_period",
    "container_spec_cpu_shares",
    "container_spec_memory_limit_bytes",
    "container_spec_memory_reservation_limit_bytes",
    "container_spec_memory_swap_limit_bytes",
    "container_threads",
    "container_threads_max",
    "container_ulimits_soft",
    "container_tasks_state"
  };

  private SimFleet() {}

  /** The namespace of container {@code c} on {@code node}. */
  public static String namespace(int node, int c) {
    return String.format(Locale.ROOT, "team-%03d", (node * 7 + c) % NAMESPACES);
  }

  /** Cores container {@code c} (of any node) uses, constantly. */
  public static double cpuCores(int c) {
    return 0.05 + 0.01 * c;
  }

  /** Bytes per second container {@code c}'s pod receives (and sends) on each counter. */
  public static double networkBytesPerSecond(int c) {
    return 1000 + c;
  }

  /** CPU seconds {@code namespace} used on nodes [0, nodes) between two instants. */
  public static double cpuSeconds(String namespace, int nodes, long fromMillis, long toMillis) {
    double cores = 0;
    for (int node = 0; node < nodes; node++) {
      for (int c = 0; c < CONTAINERS_PER_NODE; c++) {
        if (namespace(node, c).equals(namespace)) {
          cores += cpuCores(c);
        }
      }
    }
    return cores * (toMillis - fromMillis) / 1000.0;
  }

  /** One kubelet's cAdvisor text at {@code millis}. */
  public static byte[] cadvisor(int node, long millis) {
    StringBuilder out = new StringBuilder(400_000);
    double t = millis / 1000.0;
    String[] labels = new String[CONTAINERS_PER_NODE];
    String[] podLabels = new String[CONTAINERS_PER_NODE];
    for (int c = 0; c < CONTAINERS_PER_NODE; c++) {
      String ns = namespace(node, c);
      String pod = String.format(Locale.ROOT, "app-%03d-%02d-7d4b9c8f5-x2kqp", node, c);
      String uid = String.format(Locale.ROOT, "%08x-0000-4000-8000-%012x", node, c);
      labels[c] =
          "{container=\"app\",id=\"/kubepods.slice/kubepods-burstable.slice/pod"
              + uid
              + "/cri-containerd-"
              + uid
              + "\",image=\"registry.example/app:1.4.2\",name=\""
              + uid
              + "\",namespace=\""
              + ns
              + "\",pod=\""
              + pod
              + "\"}";
      podLabels[c] =
          "{container=\"\",id=\"/kubepods.slice/kubepods-burstable.slice/pod"
              + uid
              + "\",image=\"\",interface=\"eth0\",name=\"\",namespace=\""
              + ns
              + "\",pod=\""
              + pod
              + "\"}";
    }
    long ms = millis;
    family(out, "container_cpu_usage_seconds_total", "counter");
    for (int c = 0; c < CONTAINERS_PER_NODE; c++) {
      line(out, "container_cpu_usage_seconds_total", labels[c], cpuCores(c) * t, ms);
    }
    family(out, "container_memory_working_set_bytes", "gauge");
    for (int c = 0; c < CONTAINERS_PER_NODE; c++) {
      line(
          out,
          "container_memory_working_set_bytes",
          labels[c],
          (100 + c) * 1048576.0 + (ms / 1000 % 60) * 4096,
          ms);
    }
    family(out, "container_start_time_seconds", "gauge");
    for (int c = 0; c < CONTAINERS_PER_NODE; c++) {
      line(out, "container_start_time_seconds", labels[c], 1.7e9, Long.MIN_VALUE);
    }
    for (String name :
        new String[] {
          "container_network_receive_bytes_total",
          "container_network_transmit_bytes_total",
          "container_network_receive_packets_total",
          "container_network_transmit_packets_total",
          "container_network_receive_errors_total",
          "container_network_transmit_errors_total"
        }) {
      family(out, name, "counter");
      for (int c = 0; c < CONTAINERS_PER_NODE; c++) {
        line(out, name, podLabels[c], networkBytesPerSecond(c) * t, ms);
      }
    }
    for (String name : FILLER) {
      family(out, name, "gauge");
      for (int c = 0; c < CONTAINERS_PER_NODE; c++) {
        line(out, name, labels[c], c * 17.0, ms);
      }
    }
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  static void family(StringBuilder out, String name, String type) {
    out.append("# HELP ").append(name).append(" cAdvisor metric.\n");
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  static void line(StringBuilder out, String name, String labels, double v, long ms) {
    out.append(name).append(labels).append(' ').append(v);
    if (ms != Long.MIN_VALUE) {
      out.append(' ').append(ms);
    }
    out.append('\n');
  }
}
