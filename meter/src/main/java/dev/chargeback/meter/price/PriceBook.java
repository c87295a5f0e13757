package dev.chargeback.meter.price;

import java.time.LocalDate;
import java.util.Currency;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Versions of prices in one currency, ordered by {@link PriceVersion#effectiveFrom()}, and the
 * namespaces' monthly budgets.
 *
 * @param currency ISO 4217; amounts round to its minor unit (KRW 0 decimals, USD 2)
 * @param budgets in the order given: a namespace's own entry wins over selectors, and the first
 *     matching selector over later ones
 * @param billTo e-mail recipients of each namespace's final bills, comma-separated (a namespace's
 *     {@code chargeback.dev/bill-to} annotation wins)
 */
public record PriceBook(
    Currency currency,
    List<PriceVersion> versions,
    List<Budget> budgets,
    Map<String, String> billTo) {
  public PriceBook {
    versions = List.copyOf(versions);
    budgets = budgets == null ? List.of() : List.copyOf(budgets);
    billTo = billTo == null ? Map.of() : Map.copyOf(billTo);
  }

  public PriceBook(Currency currency, List<PriceVersion> versions) {
    this(currency, versions, List.of(), Map.of());
  }

  /**
   * The node label keys some version's node classes select on: what is recorded of each node's
   * labels (nothing when no version has classes).
   */
  public Set<String> nodeLabelKeys() {
    Set<String> keys = new TreeSet<>();
    for (PriceVersion v : versions) {
      for (NodeClass c : v.nodeClasses()) {
        c.selector().terms().forEach(t -> keys.add(t.key()));
      }
    }
    return keys;
  }

  /** The version in force on {@code day}, or null before the first version. */
  public PriceVersion at(LocalDate day) {
    PriceVersion found = null;
    for (PriceVersion v : versions) {
      if (!v.effectiveFrom().isAfter(day)) {
        found = v;
      }
    }
    return found;
  }
}
