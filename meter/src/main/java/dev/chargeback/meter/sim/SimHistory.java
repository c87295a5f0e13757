package dev.chargeback.meter.sim;

import java.io.IOException;
import java.io.Writer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongToDoubleFunction;

/**
 * A generated history as OpenMetrics with timestamps (what {@code promtool tsdb create-blocks-from
 * openmetrics} reads): {@code namespaces} × {@code containers} containers, each with a cAdvisor CPU
 * counter and memory gauge, sampled every {@code step}. Usage is closed-form, so the exact
 * core-seconds and byte-seconds of any namespace and range are known.
 *
 * @param startMillis the first sample
 */
public record SimHistory(
    int namespaces, int containers, long startMillis, Duration length, Duration step) {
  private static final double DAY = 86_400;
  private static final double MIB = 1024.0 * 1024;

  public String namespace(int n) {
    return String.format(Locale.ROOT, "ns-%03d", n);
  }

  private String pod(int n, int c) {
    return String.format(Locale.ROOT, "app-%03d-5d8f7c9b6-x%04d", n, c);
  }

  private double rate(int n, int c) {
    return 0.05 + 0.02 * ((n * 7 + c * 3) % 10);
  }

  private double memory(int n, int c) {
    return (128 + 32 * ((n * 5 + c) % 8)) * MIB;
  }

  private double phase(int n, int c) {
    return (n * 13 + c * 7) % 24 / 24.0 * 2 * Math.PI;
  }

  /** CPU seconds used by a container since the epoch (a rate with a daily wave, never falling). */
  private double cpuSeconds(int n, int c, double t) {
    double r = rate(n, c);
    double a = 0.5 * r * DAY / (2 * Math.PI);
    return r * t + a * (Math.sin(2 * Math.PI * t / DAY + phase(n, c)) - Math.sin(phase(n, c)));
  }

  private double memoryBytes(int n, int c, double t) {
    return memory(n, c) * (1 + 0.25 * Math.sin(2 * Math.PI * t / DAY + phase(n, c)));
  }

  /** The nodes' names and cores: node-exporter's series for idle capacity. */
  private static final Map<String, Integer> NODES = new TreeMap<>(Map.of("node-a", 4, "node-b", 8));

  private static final double NODE_MEMORY = 32.0 * 1024 * MIB;

  /** A node's cores. */
  public static int cores(String node) {
    return NODES.get(node);
  }

  /** The nodes node-exporter reports. */
  public static List<String> nodes() {
    return List.copyOf(NODES.keySet());
  }

  /** Each node's memory in bytes. */
  public static double nodeMemory() {
    return NODE_MEMORY;
  }

  /** Samples in the file. */
  public long samples() {
    long rows = 2L * namespaces * containers;
    for (int cores : NODES.values()) {
      rows += cores + 2; // idle CPU per core, MemTotal, uname
    }
    return rows * (length.toMillis() / step.toMillis() + 1);
  }

  /** Writes the file. */
  public void write(Writer out) throws IOException {
    family(
        out,
        "container_cpu_usage_seconds",
        "counter",
        "Cumulative cpu time consumed in seconds.",
        "container_cpu_usage_seconds_total",
        "%.6f",
        this::cpuSeconds);
    family(
        out,
        "container_memory_working_set_bytes",
        "gauge",
        "Current working set in bytes.",
        "container_memory_working_set_bytes",
        "%.0f",
        this::memoryBytes);
    nodeExporter(out);
    out.write("# EOF\n");
  }

  /** node-exporter's series of each node: idle CPU seconds per core, MemTotal, uname. */
  private void nodeExporter(Writer out) throws IOException {
    out.write("# TYPE node_cpu_seconds counter\n");
    for (Map.Entry<String, Integer> n : NODES.entrySet()) {
      for (int cpu = 0; cpu < n.getValue(); cpu++) {
        String labels = "{cpu=\"" + cpu + "\",instance=\"" + n.getKey() + ":9100\",mode=\"idle\"}";
        nodeSeries(out, "node_cpu_seconds_total" + labels, "%.3f", ms -> ms / 2000.0);
      }
    }
    out.write("# TYPE node_memory_MemTotal_bytes gauge\n");
    for (String node : NODES.keySet()) {
      nodeSeries(
          out,
          "node_memory_MemTotal_bytes{instance=\"" + node + ":9100\"}",
          "%.0f",
          ms -> NODE_MEMORY);
    }
    out.write("# TYPE node_uname_info gauge\n");
    for (String node : NODES.keySet()) {
      nodeSeries(
          out,
          "node_uname_info{instance=\""
              + node
              + ":9100\",nodename=\""
              + node
              + "\",sysname=\"Linux\"}",
          "%.0f",
          ms -> 1);
    }
  }

  /** One node series' samples at every step. */
  private void nodeSeries(Writer out, String series, String format, LongToDoubleFunction value)
      throws IOException {
    long steps = length.toMillis() / step.toMillis();
    for (long i = 0; i <= steps; i++) {
      long ms = startMillis + i * step.toMillis();
      out.write(
          series
              + " "
              + String.format(Locale.ROOT, format, value.applyAsDouble(ms))
              + " "
              + ms / 1000
              + "\n");
    }
  }

  /** A value of container {@code c} of namespace {@code n} at {@code t} seconds. */
  private interface Series {
    double at(int n, int c, double t);
  }

  /** One family: every container's samples, each series whole (as promtool wants them). */
  private void family(
      Writer out, String family, String type, String help, String sample, String format, Series v)
      throws IOException {
    long steps = length.toMillis() / step.toMillis();
    out.write("# TYPE " + family + " " + type + "\n# HELP " + family + " " + help + "\n");
    StringBuilder line = new StringBuilder(256);
    for (int n = 0; n < namespaces; n++) {
      for (int c = 0; c < containers; c++) {
        String labels = labels(n, c);
        for (long i = 0; i <= steps; i++) {
          long ms = startMillis + i * step.toMillis();
          line.setLength(0);
          line.append(sample).append(labels).append(' ');
          line.append(String.format(Locale.ROOT, format, v.at(n, c, ms / 1000.0)));
          line.append(' ').append(ms / 1000).append('\n');
          out.append(line);
        }
      }
    }
  }

  private String labels(int n, int c) {
    return "{container=\"app\",id=\"/kubepods/burstable/pod"
        + String.format(Locale.ROOT, "%03d-%04d", n, c)
        + "/app\",image=\"registry.example/app:1\",namespace=\""
        + namespace(n)
        + "\",pod=\""
        + pod(n, c)
        + "\"}";
  }

  /** Exact CPU core-seconds of namespace {@code n} in [from, to] (epoch millis). */
  public double cpu(int n, long fromMillis, long toMillis) {
    double sum = 0;
    for (int c = 0; c < containers; c++) {
      sum += cpuSeconds(n, c, toMillis / 1000.0) - cpuSeconds(n, c, fromMillis / 1000.0);
    }
    return sum;
  }

  /** Exact memory byte-seconds of namespace {@code n} in [from, to] (epoch millis). */
  public double memory(int n, long fromMillis, long toMillis) {
    double a = fromMillis / 1000.0;
    double b = toMillis / 1000.0;
    double sum = 0;
    for (int c = 0; c < containers; c++) {
      double w = 2 * Math.PI / DAY;
      double integral =
          (b - a) - 0.25 / w * (Math.cos(w * b + phase(n, c)) - Math.cos(w * a + phase(n, c)));
      sum += memory(n, c) * integral;
    }
    return sum;
  }
}
