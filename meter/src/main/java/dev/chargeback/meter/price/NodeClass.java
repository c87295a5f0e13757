package dev.chargeback.meter.price;

import dev.chargeback.meter.exposition.LabelSelector;
import java.util.Map;

/**
 * Nodes priced apart from the rest, chosen by their labels: a node pool, an instance type, spot
 * capacity, a GPU model. Usage on a node of the class pays {@code prices} (any subset; the others
 * are the version's).
 *
 * @param name what bills print beside a line ({@code spot}, {@code gpu-h100})
 * @param selector the node labels that make a node one of the class
 */
public record NodeClass(String name, LabelSelector selector, Prices prices) {
  /** Whether a node with {@code labels} is of this class. */
  public boolean matches(Map<String, String> labels) {
    return selector.matches(labels);
  }
}
