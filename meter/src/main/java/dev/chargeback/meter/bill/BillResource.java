package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.PricedResource;
import dev.chargeback.meter.price.Prices;
import java.math.BigDecimal;

/**
 * What a bill line is for: a priced resource, or a share of the node capacity nobody used (idle
 * policy {@code share} or {@code separate}), which is priced as CPU or memory. Lines, daily usage
 * and the charts are keyed by it; {@link #code} is what JSON and CSV print, {@link #title} the PDF.
 */
public enum BillResource {
  CPU(PricedResource.CPU, "CPU"),
  MEMORY(PricedResource.MEMORY, "Memory"),
  NETWORK_RECEIVE(PricedResource.NETWORK_RECEIVE, "Network received"),
  NETWORK_TRANSMIT(PricedResource.NETWORK_TRANSMIT, "Network sent"),
  STORAGE(PricedResource.STORAGE, "Storage"),
  /** GPU time, per device: a whole GPU, a MIG slice (priced per profile), a time-sliced share. */
  GPU(PricedResource.GPU, "GPU"),
  IDLE_CPU(PricedResource.CPU, "idle_cpu", "Idle CPU capacity"),
  IDLE_MEMORY(PricedResource.MEMORY, "idle_memory", "Idle memory capacity"),
  /** GPU time nobody requested, per device. */
  IDLE_GPU(PricedResource.GPU, "idle_gpu", "Idle GPUs");

  /** How it is priced (an idle line as the resource it leaves unused). */
  public final PricedResource priced;

  /** The name in JSON, CSV and metrics ({@code cpu}, {@code idle_cpu}). */
  public final String code;

  /** The name printed on the PDF. */
  public final String title;

  BillResource(PricedResource priced, String title) {
    this(priced, priced.label, title);
  }

  BillResource(PricedResource priced, String code, String title) {
    this.priced = priced;
    this.code = code;
    this.title = title;
  }

  /** Whether this is idle capacity rather than a namespace's own usage. */
  public boolean idle() {
    return this == IDLE_CPU || this == IDLE_MEMORY || this == IDLE_GPU;
  }

  /** Whether this is GPU time, billed per device. */
  public boolean gpu() {
    return this == GPU || this == IDLE_GPU;
  }

  /** The priced unit (core-hours, GiB-hours, GiB). */
  public String unit() {
    return priced.unit;
  }

  /** Metered units (core-seconds, byte-seconds, bytes) in one priced unit. */
  public double unitsPerPrice() {
    return priced.unitsPerPrice;
  }

  /** The unit price of a version's prices. */
  public BigDecimal price(Prices prices) {
    return priced.price.apply(prices);
  }

  /**
   * The unit price of a device ({@link PricedResource#price(Prices, String)}); zero for a GPU
   * device without a price.
   */
  public BigDecimal price(Prices prices, String device) {
    BigDecimal p = priced.price(prices, device);
    return p == null ? BigDecimal.ZERO : p;
  }
}
