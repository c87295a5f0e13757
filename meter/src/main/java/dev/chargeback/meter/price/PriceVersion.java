package dev.chargeback.meter.price;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * One version of the price book, in force from the start of {@code effectiveFrom} (a local day in
 * the billing zone) until the next version.
 *
 * @param taxRate a fraction added on the discounted subtotal (0.10 = 10 %)
 * @param shared the shared namespaces (and {@code _idle}) whose cost is spread to the others, by
 *     name
 */
public record PriceVersion(
    LocalDate effectiveFrom,
    Prices prices,
    Basis basis,
    BigDecimal taxRate,
    IdlePolicy idle,
    Map<String, NamespaceTerms> namespaces,
    Map<String, SharedCost> shared) {

  public PriceVersion {
    // A version stored in a final bill before shared costs existed has none.
    shared = shared == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(shared));
  }

  /** The prices a namespace pays under this version. */
  public Prices pricesFor(String namespace) {
    NamespaceTerms terms = namespaces.get(namespace);
    return terms == null ? prices : prices.with(terms.prices());
  }

  /** The namespace's discount fraction (0 when none). */
  public BigDecimal discountFor(String namespace) {
    NamespaceTerms terms = namespaces.get(namespace);
    return terms == null || terms.discount() == null ? BigDecimal.ZERO : terms.discount();
  }
}
