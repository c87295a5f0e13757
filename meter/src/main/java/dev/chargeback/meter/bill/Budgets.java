package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.Budget;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.store.RollupStore;
import java.math.BigDecimal;
import java.time.YearMonth;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Namespaces' monthly budgets: the namespace's {@value #ANNOTATION} annotation, else its own entry
 * in the price book, else the first price-book selector its labels match. An annotation that is not
 * an amount is logged once and ignored.
 */
public final class Budgets {
  /** The namespace annotation that sets its budget, e.g. {@code "500000"}. */
  public static final String ANNOTATION = "chargeback.dev/budget";

  private static final Logger LOG = LoggerFactory.getLogger(Budgets.class);

  private final RollupStore store;
  private final PriceBook book;
  private final Set<String> warned = ConcurrentHashMap.newKeySet();

  public Budgets(RollupStore store, PriceBook book) {
    this.store = store;
    this.book = book;
  }

  /** The budget of each of {@code namespaces} in {@code month}; those without one are absent. */
  public Map<String, BigDecimal> of(Collection<String> namespaces, YearMonth month) {
    Map<String, Map<String, String>> annotations = store.annotations().all();
    Map<String, BigDecimal> out = new TreeMap<>();
    for (String ns : namespaces) {
      BigDecimal budget = annotated(ns, annotations.getOrDefault(ns, Map.of()).get(ANNOTATION));
      if (budget == null) {
        budget = fromBook(ns, month);
      }
      if (budget != null) {
        out.put(ns, budget);
      }
    }
    return out;
  }

  private BigDecimal fromBook(String namespace, YearMonth month) {
    for (Budget b : book.budgets()) {
      if (namespace.equals(b.namespace())) {
        return b.amount();
      }
    }
    Map<String, String> labels = null;
    for (Budget b : book.budgets()) {
      if (b.selector() != null) {
        if (labels == null) {
          labels = store.labels().at(namespace, month);
        }
        if (b.selector().matches(labels)) {
          return b.amount();
        }
      }
    }
    return null;
  }

  private BigDecimal annotated(String namespace, String value) {
    if (value == null) {
      return null;
    }
    String text = value.strip().replace("_", "");
    try {
      BigDecimal amount = new BigDecimal(text);
      if (amount.signum() >= 0 && text.matches("[0-9]+(\\.[0-9]+)?")) {
        return amount;
      }
    } catch (NumberFormatException e) {
      // logged below
    }
    if (warned.add(namespace + "\n" + value)) {
      LOG.warn(
          "namespace {}: annotation {}: '{}' is not an amount (e.g. \"500000\"); ignored",
          namespace,
          ANNOTATION,
          (value.length() > 64 ? value.substring(0, 64) + "…" : value)
              .replaceAll("\\p{Cntrl}", "?"));
    }
    return null;
  }
}
