package dev.chargeback.meter.price;

import dev.chargeback.meter.rollup.Resource;
import java.math.BigDecimal;
import java.util.function.Function;

/**
 * The one table of what is priced: the metered resource, the cost resource it accrues into, the
 * bill line's name and unit, how many metered units make one priced unit, and which price of a
 * version applies. Metering (accrued cost), bills and metrics all read it.
 */
public enum PricedResource {
  CPU(Resource.CPU, Resource.COST_CPU, "cpu", "core-hours", 3600, Prices::cpuCoreHour),
  MEMORY(
      Resource.MEMORY,
      Resource.COST_MEMORY,
      "memory",
      "GiB-hours",
      3600 * PricedResource.GIB,
      Prices::memoryGibHour),
  NETWORK_RECEIVE(
      Resource.NETWORK_RECEIVE,
      Resource.COST_NETWORK_RECEIVE,
      "network_receive",
      "GiB",
      PricedResource.GIB,
      Prices::networkReceiveGib),
  NETWORK_TRANSMIT(
      Resource.NETWORK_TRANSMIT,
      Resource.COST_NETWORK_TRANSMIT,
      "network_transmit",
      "GiB",
      PricedResource.GIB,
      Prices::networkTransmitGib),
  STORAGE(
      Resource.STORAGE,
      Resource.COST_STORAGE,
      "storage",
      "GiB-hours",
      3600 * PricedResource.GIB,
      Prices::storageGibHour),
  /** Whole GPUs; a MIG slice's price is its profile's ({@link Prices#gpu}). */
  GPU(
      Resource.REQUEST_GPU,
      Resource.COST_GPU,
      "gpu",
      "GPU-hours",
      3600,
      p -> p.gpuHour() == null ? BigDecimal.ZERO : p.gpuHour());

  /** Bytes in a GiB. */
  public static final double GIB = 1024.0 * 1024 * 1024;

  /** What is metered (core-seconds, byte-seconds, bytes). */
  public final Resource usage;

  /** Where its accrued cost is kept. */
  public final Resource cost;

  /** The bill line's name, and the {@code resource} label of cost metrics. */
  public final String label;

  /** The priced unit, as bills print it. */
  public final String unit;

  /** Metered units in one priced unit (3600 core-seconds in a core-hour). */
  public final double unitsPerPrice;

  /** The unit price of a version's prices. */
  public final Function<Prices, BigDecimal> price;

  PricedResource(
      Resource usage,
      Resource cost,
      String label,
      String unit,
      double unitsPerPrice,
      Function<Prices, BigDecimal> price) {
    this.usage = usage;
    this.cost = cost;
    this.label = label;
    this.unit = unit;
    this.unitsPerPrice = unitsPerPrice;
    this.price = price;
  }

  /**
   * The unit price of a device under {@code prices}: a GPU's ("" a whole GPU, else a MIG profile;
   * null when unpriced), a StorageClass's claims (its own price, else the storage price), or for ""
   * and every other resource the resource's price.
   */
  public BigDecimal price(Prices prices, String device) {
    if (this == GPU) {
      return prices.gpu(device);
    }
    if (this == STORAGE && !device.isEmpty() && prices.storageClass(device) != null) {
      return prices.storageClass(device);
    }
    return price.apply(prices);
  }

  /** The priced resource metered as {@code usage}, or null. */
  public static PricedResource ofUsage(Resource usage) {
    for (PricedResource p : values()) {
      if (p.usage == usage) {
        return p;
      }
    }
    return null;
  }

  /** The priced resource whose cost accrues into {@code cost}, or null. */
  public static PricedResource ofCost(Resource cost) {
    for (PricedResource p : values()) {
      if (p.cost == cost) {
        return p;
      }
    }
    return null;
  }
}
