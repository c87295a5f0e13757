package dev.chargeback.meter.price;

import java.math.BigDecimal;
import java.util.Map;
import java.util.TreeMap;

/**
 * Unit prices in the book's currency. Null in a namespace override or a node class means "as the
 * version says".
 *
 * @param cpuCoreHour per core-hour of CPU
 * @param memoryGibHour per GiB-hour of memory
 * @param networkReceiveGib per GiB received
 * @param networkTransmitGib per GiB transmitted
 * @param storageGibHour per GiB-hour of persistent volume claims
 * @param gpuHour per hour of a whole GPU (a time-sliced replica pays its share); null: GPUs are not
 *     priced
 * @param migHour per hour of a MIG slice, by profile ({@code 1g.10gb}); a profile not named is not
 *     priced
 * @param storageClassGibHour per GiB-hour of persistent volume claims of a StorageClass, by its
 *     name; a class not named pays {@code storageGibHour}
 */
public record Prices(
    BigDecimal cpuCoreHour,
    BigDecimal memoryGibHour,
    BigDecimal networkReceiveGib,
    BigDecimal networkTransmitGib,
    BigDecimal storageGibHour,
    BigDecimal gpuHour,
    Map<String, BigDecimal> migHour,
    Map<String, BigDecimal> storageClassGibHour) {

  public Prices {
    migHour = migHour == null ? null : Map.copyOf(new TreeMap<>(migHour));
    storageClassGibHour =
        storageClassGibHour == null ? null : Map.copyOf(new TreeMap<>(storageClassGibHour));
  }

  /** These prices with {@code override}'s non-null ones on top (named prices one by one). */
  public Prices with(Prices override) {
    if (override == null) {
      return this;
    }
    return new Prices(
        or(override.cpuCoreHour, cpuCoreHour),
        or(override.memoryGibHour, memoryGibHour),
        or(override.networkReceiveGib, networkReceiveGib),
        or(override.networkTransmitGib, networkTransmitGib),
        or(override.storageGibHour, storageGibHour),
        or(override.gpuHour, gpuHour),
        merge(migHour, override.migHour),
        merge(storageClassGibHour, override.storageClassGibHour));
  }

  /** Per-name prices with {@code override}'s on top, one by one. */
  private static Map<String, BigDecimal> merge(
      Map<String, BigDecimal> base, Map<String, BigDecimal> override) {
    if (override == null) {
      return base;
    }
    Map<String, BigDecimal> merged = new TreeMap<>(base == null ? Map.of() : base);
    merged.putAll(override);
    return merged;
  }

  /** The price per GiB-hour of claims of StorageClass {@code name}, or null when it has none. */
  public BigDecimal storageClass(String name) {
    return storageClassGibHour == null ? null : storageClassGibHour.get(name);
  }

  /** Whether some StorageClass has a price of its own here. */
  public boolean pricesStorageClasses() {
    return storageClassGibHour != null && !storageClassGibHour.isEmpty();
  }

  /**
   * The hourly price of a GPU device: {@code gpuHour} for a whole GPU (""), the profile's {@code
   * migHour} for a MIG slice; null when it has none.
   */
  public BigDecimal gpu(String device) {
    if (device.isEmpty()) {
      return gpuHour;
    }
    return migHour == null ? null : migHour.get(device);
  }

  /** Whether any GPU device has a price here. */
  public boolean pricesGpus() {
    return gpuHour != null || migHour != null && !migHour.isEmpty();
  }

  private static BigDecimal or(BigDecimal a, BigDecimal b) {
    return a != null ? a : b;
  }
}
