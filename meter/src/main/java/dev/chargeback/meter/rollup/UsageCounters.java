package dev.chargeback.meter.rollup;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The exporter's usage counters per namespace ({@code chargeback_usage_cpu_seconds_total}, …): the
 * names are contracts, read back by a central chargeback from a Prometheus-compatible engine.
 */
public final class UsageCounters {
  private UsageCounters() {}

  /** A counter's name without {@code _total}, and its HELP. */
  public record Counter(String name, String help) {
    /** The name Prometheus stores its samples under. */
    public String series() {
      return name + "_total";
    }
  }

  private static final Map<Resource, Counter> ALL = new EnumMap<>(Resource.class);

  static {
    put(
        Resource.CPU,
        "chargeback_usage_cpu_seconds",
        "CPU used by the namespace's application containers, in core-seconds, since metering began.");
    put(
        Resource.MEMORY,
        "chargeback_usage_memory_byte_seconds",
        "Working-set memory held by the namespace's containers, integrated over time, in byte-seconds.");
    put(
        Resource.NETWORK_RECEIVE,
        "chargeback_usage_network_receive_bytes",
        "Bytes received by the namespace's pods (host-network pods excluded).");
    put(
        Resource.NETWORK_TRANSMIT,
        "chargeback_usage_network_transmit_bytes",
        "Bytes transmitted by the namespace's pods (host-network pods excluded).");
    put(
        Resource.STORAGE,
        "chargeback_usage_storage_byte_seconds",
        "Storage requested by the namespace's persistent volume claims, in byte-seconds.");
    put(
        Resource.REQUEST_CPU,
        "chargeback_request_cpu_seconds",
        "CPU requested by the namespace's containers, in core-seconds.");
    put(
        Resource.REQUEST_MEMORY,
        "chargeback_request_memory_byte_seconds",
        "Memory requested by the namespace's containers, in byte-seconds.");
    put(
        Resource.REQUEST_GPU,
        "chargeback_request_gpu_seconds",
        "NVIDIA GPU devices requested by the namespace's containers, in device-seconds (a whole"
            + " GPU, a MIG slice or a time-sliced replica each count one).");
    put(
        Resource.GPU,
        "chargeback_usage_gpu_seconds",
        "GPU time of the namespace's pods weighted by utilisation (dcgm-exporter), in"
            + " GPU-seconds.");
    put(
        Resource.GPU_MEMORY,
        "chargeback_usage_gpu_memory_byte_seconds",
        "GPU framebuffer memory held by the namespace's pods (dcgm-exporter), integrated over"
            + " time, in byte-seconds.");
  }

  private static void put(Resource r, String name, String help) {
    ALL.put(r, new Counter(name, help));
  }

  /** Every counter, by resource. */
  public static Map<Resource, Counter> all() {
    return Collections.unmodifiableMap(ALL);
  }

  /** The counter of {@code r}, or null when it has none. */
  public static Counter of(Resource r) {
    return ALL.get(r);
  }
}
