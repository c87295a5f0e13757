package dev.chargeback.meter.price;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Map;

/**
 * One version of the price book, in force from the start of {@code effectiveFrom} (a local day in
 * the billing zone) until the next version.
 *
 * @param taxRate a fraction added on the discounted subtotal (0.10 = 10 %)
 */
public record PriceVersion(
    LocalDate effectiveFrom,
    Prices prices,
    Basis basis,
    BigDecimal taxRate,
    IdlePolicy idle,
    Map<String, NamespaceTerms> namespaces) {

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
