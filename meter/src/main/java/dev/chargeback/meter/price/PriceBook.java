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
 * @param clusters other clusters' own price versions (a central chargeback's), by cluster name; a
 *     cluster not named here is priced with {@code versions}
 */
public record PriceBook(
    Currency currency,
    List<PriceVersion> versions,
    List<Budget> budgets,
    Map<String, String> billTo,
    Map<String, List<PriceVersion>> clusters) {
  public PriceBook {
    versions = List.copyOf(versions);
    budgets = budgets == null ? List.of() : List.copyOf(budgets);
    billTo = billTo == null ? Map.of() : Map.copyOf(billTo);
    clusters = clusters == null ? Map.of() : Map.copyOf(clusters);
  }

  public PriceBook(Currency currency, List<PriceVersion> versions) {
    this(currency, versions, List.of(), Map.of(), Map.of());
  }

  /**
   * The book another cluster's usage is priced with: its own versions when the book has a section
   * for it, else this book's; the currency, budgets and recipients are this book's.
   */
  public PriceBook forCluster(String cluster) {
    List<PriceVersion> own = clusters.get(cluster);
    return own == null ? this : new PriceBook(currency, own, budgets, billTo, Map.of());
  }

  /** GPU feature discovery's node label: how many replicas a time-sliced GPU is shared as. */
  public static final String GPU_REPLICAS = "nvidia.com/gpu.replicas";

  /**
   * How many replicas one GPU of a node with {@code labels} is shared as (time-slicing or MPS): its
   * requests and capacity count replicas, so a replica is this fraction of a GPU. 1 without the
   * label or with a value that is not a positive number.
   */
  public static double gpuReplicas(Map<String, String> labels) {
    String value = labels.get(GPU_REPLICAS);
    if (value == null) {
      return 1;
    }
    try {
      int n = Integer.parseInt(value.strip());
      return n > 0 ? n : 1;
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  /**
   * The node label keys some version's node classes select on: what is recorded of each node's
   * labels (nothing when no version has classes).
   */
  public Set<String> nodeLabelKeys() {
    Set<String> keys = new TreeSet<>();
    for (PriceVersion v : versions) {
      if (v.pricesGpus()) {
        // A time-sliced GPU's requests and capacity are in replicas: GPU feature discovery's
        // label says how many.
        keys.add(GPU_REPLICAS);
      }
      for (NodeClass c : v.nodeClasses()) {
        c.selector().terms().forEach(t -> keys.add(t.key()));
      }
    }
    return keys;
  }

  /**
   * Whether bills read where usage was kept (placements): for node classes, GPUs, or StorageClass
   * prices (a namespace's own included).
   */
  public boolean readsPlacements() {
    if (!nodeLabelKeys().isEmpty()) {
      return true;
    }
    for (PriceVersion v : versions) {
      if (v.prices().pricesStorageClasses()
          || v.namespaces().values().stream()
              .anyMatch(t -> t.prices() != null && t.prices().pricesStorageClasses())) {
        return true;
      }
    }
    return false;
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
