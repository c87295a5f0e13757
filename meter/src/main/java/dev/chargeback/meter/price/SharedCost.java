package dev.chargeback.meter.price;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How the cost of a shared namespace (or of the idle capacity, {@code _idle}) is spread to the
 * tenant namespaces: each tenant's share is its weight over the sum of all tenants' weights.
 *
 * @param namespace the shared namespace, or {@code _idle}
 * @param weights the fixed weights of {@link Spread#WEIGHTS} (a tenant not named has none)
 */
public record SharedCost(String namespace, Spread spread, Map<String, BigDecimal> weights) {
  /** The pseudo-namespace that stands for idle capacity (idle policy {@code separate}). */
  public static final String IDLE = "_idle";

  /** How a tenant's weight is found. */
  public enum Spread {
    /** In proportion to the tenant's own cost (its lines, before discount and tax). */
    PROPORTIONAL,
    /** Equal parts to every tenant with usage. */
    EVEN,
    /** Fixed weights from the price book. */
    WEIGHTS
  }

  public SharedCost {
    weights = weights == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(weights));
  }

  /** A tenant's part of a shared cost: its weight's share and the amount. */
  public record Part(String tenant, double fraction, BigDecimal amount) {}

  /**
   * Splits {@code cost} over the tenants with a positive weight, in whole units of {@code scale}
   * decimals by largest remainder, so the parts add up to it exactly; none when no tenant has a
   * weight.
   *
   * @param tenants each candidate tenant's own cost, in a stable order (ties go to the earlier)
   */
  public List<Part> split(BigDecimal cost, Map<String, BigDecimal> tenants, int scale) {
    List<String> names = new ArrayList<>();
    List<Double> weights = new ArrayList<>();
    double sum = 0;
    for (Map.Entry<String, BigDecimal> t : tenants.entrySet()) {
      double w = weight(t.getKey(), t.getValue());
      if (w > 0) {
        names.add(t.getKey());
        weights.add(w);
        sum += w;
      }
    }
    List<Part> out = new ArrayList<>(names.size());
    if (sum <= 0) {
      return out;
    }
    BigDecimal[] amounts =
        Allocation.allocate(
            cost.setScale(scale, RoundingMode.HALF_UP),
            weights.stream().mapToDouble(Double::doubleValue).toArray(),
            scale);
    for (int i = 0; i < names.size(); i++) {
      out.add(new Part(names.get(i), weights.get(i) / sum, amounts[i]));
    }
    return out;
  }

  /** The weight of {@code tenant}, whose own cost is {@code ownCost}. */
  public double weight(String tenant, BigDecimal ownCost) {
    return switch (spread) {
      case PROPORTIONAL -> Math.max(0, ownCost.doubleValue());
      case EVEN -> 1;
      case WEIGHTS -> weights.getOrDefault(tenant, BigDecimal.ZERO).doubleValue();
    };
  }
}
