package dev.chargeback.meter.rollup;

import java.util.List;

/**
 * What a rollup measures. The {@link #code} is stored in keys and must never change; the {@link
 * #label} is the {@code resource} label value of exported metrics.
 */
public enum Resource {
  CPU(1, "cpu", "core-seconds"),
  MEMORY(2, "memory", "byte-seconds"),
  NETWORK_RECEIVE(3, "network_receive", "bytes"),
  NETWORK_TRANSMIT(4, "network_transmit", "bytes"),
  STORAGE(5, "storage", "byte-seconds"),
  REQUEST_CPU(6, "request_cpu", "core-seconds"),
  REQUEST_MEMORY(7, "request_memory", "byte-seconds"),
  CAPACITY_CPU(8, "capacity_cpu", "core-seconds"),
  CAPACITY_MEMORY(9, "capacity_memory", "byte-seconds"),
  /** Seconds of a target's time covered by successful scrapes no further apart than maxGap. */
  COVERED(10, "covered", "seconds"),
  /** Accrued cost, in the price book's currency, after discounts and before tax. */
  COST_CPU(11, "cpu", "currency"),
  COST_MEMORY(12, "memory", "currency"),
  COST_NETWORK_RECEIVE(13, "network_receive", "currency"),
  COST_NETWORK_TRANSMIT(14, "network_transmit", "currency"),
  COST_STORAGE(15, "storage", "currency"),
  /**
   * What basis {@code max} bills: per container and interval between samples, the larger of its
   * usage and its request over that interval. Metered when requests are; it cannot be rebuilt from
   * the usage and request rollups, which sum over containers first.
   */
  BILLABLE_CPU(16, "billable_cpu", "core-seconds"),
  BILLABLE_MEMORY(17, "billable_memory", "byte-seconds"),
  /**
   * GPU-seconds requested (kube-state-metrics): whole GPUs, a MIG slice or a time-sliced replica
   * per second, each with its device ("" for a whole GPU, the MIG profile such as {@code 1g.10gb}).
   */
  REQUEST_GPU(18, "request_gpu", "gpu-seconds"),
  /** GPU-seconds a node offers (kube-state-metrics' node capacity), per device as requests. */
  CAPACITY_GPU(19, "capacity_gpu", "gpu-seconds"),
  /** GPU-seconds weighted by utilisation (dcgm-exporter), per device as requests. */
  GPU(20, "gpu", "gpu-seconds"),
  COST_GPU(21, "gpu", "currency"),
  /** GPU framebuffer memory held (dcgm-exporter), per device: metered, not priced. */
  GPU_MEMORY(22, "gpu_memory", "byte-seconds");

  private static final Resource[] BY_CODE = new Resource[23];

  /** What is metered per namespace: usage and requests (not capacity, coverage or cost). */
  public static final List<Resource> METERED =
      List.of(
          CPU,
          MEMORY,
          NETWORK_RECEIVE,
          NETWORK_TRANSMIT,
          STORAGE,
          REQUEST_CPU,
          REQUEST_MEMORY,
          BILLABLE_CPU,
          BILLABLE_MEMORY,
          REQUEST_GPU,
          GPU,
          GPU_MEMORY);

  static {
    for (Resource r : values()) {
      BY_CODE[r.code] = r;
    }
  }

  public final int code;
  public final String label;
  public final String unit;

  Resource(int code, String label, String unit) {
    this.code = code;
    this.label = label;
    this.unit = unit;
  }

  /** Whether this is an accrued cost (its label names the resource the cost is for). */
  public boolean isCost() {
    return code >= COST_CPU.code && code <= COST_STORAGE.code || this == COST_GPU;
  }

  /** Whether this is GPU time, kept per device (whole GPU or MIG profile). */
  public boolean isGpu() {
    return this == REQUEST_GPU || this == CAPACITY_GPU || this == GPU || this == GPU_MEMORY;
  }

  /** The basis-{@code max} quantity metered beside this usage, or null (only CPU and memory). */
  public Resource billable() {
    return switch (this) {
      case CPU -> BILLABLE_CPU;
      case MEMORY -> BILLABLE_MEMORY;
      default -> null;
    };
  }

  public static Resource ofCode(int code) {
    Resource r = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    if (r == null) {
      throw new IllegalArgumentException("unknown resource code " + code);
    }
    return r;
  }
}
