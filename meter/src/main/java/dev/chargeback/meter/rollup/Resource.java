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
  private final Quantum quantum;

  Resource(int code, String label, String unit) {
    this.code = code;
    this.label = label;
    this.unit = unit;
    this.quantum = Quantum.of(unit);
  }

  /**
   * {@code amount} (in {@link #unit}) as a whole number of this resource's quantum, the integer
   * rollups keep: sums of integers are exact in any order and never drift.
   */
  public long units(double amount) {
    return Math.round(amount * quantum.perUnit / quantum.unitsPer);
  }

  /** The amount, in {@link #unit}, of a whole number of quanta. */
  public double amount(long units) {
    return (double) units * quantum.unitsPer / quantum.perUnit;
  }

  /**
   * Decimal places of the quantum in the resource's unit: 3 for thousandths, 6 for millionths, 0
   * for bytes and MiB-seconds. Every amount is a whole number of them.
   */
  public int decimals() {
    return quantum.decimals;
  }

  /**
   * The smallest amount a rollup keeps, per unit: fine enough that rounding each scrape's increment
   * moves no bill (a bill's quantities have 4 decimals of hours and GiB), coarse enough that the
   * all-time total of a 1,000-node cluster stays within 2^63 for centuries.
   */
  private enum Quantum {
    /** A thousandth: core-, GPU- and plain seconds (2^63 is 290 million core-years). */
    MILLI(1000, 1),
    /** A millionth of the currency (2^63 is 9.2 trillion of it). */
    MICRO(1_000_000, 1),
    /** Whole bytes: counters are integers (2^63 bytes is 8 EiB). */
    ONE(1, 1),
    /** A MiB-second (2^63 is 280,000 TiB-years). */
    MEBI(1, 1L << 20);

    /** Quanta in {@link #unitsPer} units. */
    final long perUnit;

    final long unitsPer;

    /** Decimal places of one quantum in units. */
    final int decimals;

    Quantum(long perUnit, long unitsPer) {
      this.perUnit = perUnit;
      this.unitsPer = unitsPer;
      this.decimals = (int) Math.round(Math.log10(perUnit));
    }

    static Quantum of(String unit) {
      return switch (unit) {
        case "core-seconds", "gpu-seconds", "seconds" -> MILLI;
        case "currency" -> MICRO;
        case "bytes" -> ONE;
        case "byte-seconds" -> MEBI;
        default -> throw new IllegalArgumentException("no quantum for unit " + unit);
      };
    }
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
