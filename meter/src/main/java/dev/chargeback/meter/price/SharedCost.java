package dev.chargeback.meter.price;

import java.math.BigDecimal;
import java.util.Collections;
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

  /** The weight of {@code tenant}, whose own cost is {@code ownCost}. */
  public double weight(String tenant, BigDecimal ownCost) {
    return switch (spread) {
      case PROPORTIONAL -> Math.max(0, ownCost.doubleValue());
      case EVEN -> 1;
      case WEIGHTS -> weights.getOrDefault(tenant, BigDecimal.ZERO).doubleValue();
    };
  }
}
