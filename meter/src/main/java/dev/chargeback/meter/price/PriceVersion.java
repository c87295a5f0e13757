package dev.chargeback.meter.price;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * One version of the price book, in force from the start of {@code effectiveFrom} (a local day in
 * the billing zone) until the next version.
 *
 * @param taxRate a fraction added on the discounted subtotal (0.10 = 10 %)
 * @param shared the shared namespaces (and {@code _idle}) whose cost is spread to the others, by
 *     name
 * @param nodeClasses nodes priced apart, by their labels; the first class that matches a node wins,
 *     nodes of none pay {@code prices}
 */
public record PriceVersion(
    LocalDate effectiveFrom,
    Prices prices,
    Basis basis,
    BigDecimal taxRate,
    IdlePolicy idle,
    Map<String, NamespaceTerms> namespaces,
    Map<String, SharedCost> shared,
    List<NodeClass> nodeClasses,
    Basis gpuBasis) {

  public PriceVersion {
    gpuBasis = gpuBasis == null ? Basis.REQUEST : gpuBasis;
    // A version stored in a final bill before shared costs (or node classes) existed has none.
    shared = shared == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(shared));
    nodeClasses = nodeClasses == null ? List.of() : List.copyOf(nodeClasses);
  }

  /** A version without node classes. */
  public PriceVersion(
      LocalDate effectiveFrom,
      Prices prices,
      Basis basis,
      BigDecimal taxRate,
      IdlePolicy idle,
      Map<String, NamespaceTerms> namespaces,
      Map<String, SharedCost> shared) {
    this(effectiveFrom, prices, basis, taxRate, idle, namespaces, shared, List.of(), Basis.REQUEST);
  }

  /** Whether this version prices any GPU, on nodes of no class or of a class. */
  public boolean pricesGpus() {
    return prices.pricesGpus() || nodeClasses.stream().anyMatch(c -> c.prices().pricesGpus());
  }

  /** The name of the first class whose selector matches a node's labels, or "" for none. */
  public String classOf(Map<String, String> nodeLabels) {
    for (NodeClass c : nodeClasses) {
      if (c.matches(nodeLabels)) {
        return c.name();
      }
    }
    return "";
  }

  /**
   * The list prices on nodes of {@code nodeClass} ("" for nodes of no class): the class's prices
   * over the version's. Idle capacity is priced with these.
   */
  public Prices listPrices(String nodeClass) {
    return prices.with(classPrices(nodeClass));
  }

  /**
   * The prices a namespace pays on nodes of {@code nodeClass} ("" for none): its own prices over
   * the version's, and the class's prices over both for the resources the class prices.
   */
  public Prices pricesFor(String namespace, String nodeClass) {
    return pricesFor(namespace).with(classPrices(nodeClass));
  }

  /** The prices node class {@code name} sets, or null for "" (or a class this version lacks). */
  private Prices classPrices(String name) {
    for (NodeClass c : nodeClasses) {
      if (c.name().equals(name)) {
        return c.prices();
      }
    }
    return null;
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
