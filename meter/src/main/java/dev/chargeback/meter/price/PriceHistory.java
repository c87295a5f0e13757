package dev.chargeback.meter.price;

import dev.chargeback.meter.store.RollupStore;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Keeps price versions that are in force immutable. The writer records each version once it is in
 * force (its canonical text, in the store's meta family); a later price book that changes a
 * recorded version is refused, and {@code reprice} is the explicit way to change the past.
 */
public final class PriceHistory {
  private static final String PREFIX = "price/version/";

  private PriceHistory() {}

  /** Key/value text of a version: what must not change once it is in force. */
  static Map<String, String> canonical(PriceBook book, PriceVersion v) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("currency", book.currency().getCurrencyCode());
    prices(out, "prices.", v.prices());
    out.put("basis", v.basis().name().toLowerCase(Locale.ROOT));
    out.put("taxRate", plain(v.taxRate()));
    out.put("idle", v.idle().name().toLowerCase(Locale.ROOT));
    if (v.gpuBasis() != Basis.REQUEST) {
      out.put("gpuBasis", v.gpuBasis().name().toLowerCase(Locale.ROOT));
    }
    v.namespaces()
        .forEach(
            (ns, t) -> {
              if (t.discount() != null) {
                out.put("namespaces." + ns + ".discount", plain(t.discount()));
              }
              if (t.prices() != null) {
                prices(out, "namespaces." + ns + ".prices.", t.prices());
              }
            });
    for (int i = 0; i < v.nodeClasses().size(); i++) {
      NodeClass c = v.nodeClasses().get(i);
      String at = "nodeClasses[" + i + "].";
      out.put(at + "name", c.name());
      out.put(at + "selector", c.selector().text());
      prices(out, at + "prices.", c.prices());
    }
    return out;
  }

  private static void prices(Map<String, String> out, String prefix, Prices p) {
    if (p.cpuCoreHour() != null) out.put(prefix + "cpuCoreHour", plain(p.cpuCoreHour()));
    if (p.memoryGibHour() != null) out.put(prefix + "memoryGibHour", plain(p.memoryGibHour()));
    if (p.networkReceiveGib() != null)
      out.put(prefix + "networkReceiveGib", plain(p.networkReceiveGib()));
    if (p.networkTransmitGib() != null)
      out.put(prefix + "networkTransmitGib", plain(p.networkTransmitGib()));
    if (p.storageGibHour() != null) out.put(prefix + "storageGibHour", plain(p.storageGibHour()));
    if (p.gpuHour() != null) out.put(prefix + "gpuHour", plain(p.gpuHour()));
    if (p.migHour() != null) {
      p.migHour().forEach((profile, price) -> out.put(prefix + "migHour." + profile, plain(price)));
    }
    if (p.storageClassGibHour() != null) {
      p.storageClassGibHour()
          .forEach((sc, price) -> out.put(prefix + "storageClassGibHour." + sc, plain(price)));
    }
  }

  private static String plain(BigDecimal d) {
    return d.stripTrailingZeros().toPlainString();
  }

  private static String text(Map<String, String> canonical) {
    StringBuilder out = new StringBuilder();
    canonical.forEach((k, v) -> out.append(k).append('=').append(v).append('\n'));
    return out.toString();
  }

  private static Map<String, String> parse(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        out.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return out;
  }

  /**
   * How {@code book} differs from the recorded in-force versions, one line per changed key, e.g.
   * {@code "2026-10-16: prices.cpuCoreHour 50 → 55"}; empty when nothing in force changed.
   */
  public static List<String> changes(RollupStore store, PriceBook book, LocalDate today) {
    List<String> out = new ArrayList<>();
    TreeMap<String, String> recorded = recorded(store);
    Map<String, PriceVersion> current = new LinkedHashMap<>();
    book.versions().forEach(v -> current.put(v.effectiveFrom().toString(), v));
    for (Map.Entry<String, String> e : recorded.entrySet()) {
      PriceVersion v = current.get(e.getKey());
      if (v == null) {
        out.add(e.getKey() + ": version removed");
        continue;
      }
      Map<String, String> before = parse(e.getValue());
      Map<String, String> after = canonical(book, v);
      for (String key : union(before, after)) {
        String a = before.getOrDefault(key, "(none)");
        String b = after.getOrDefault(key, "(none)");
        if (!a.equals(b)) {
          out.add(e.getKey() + ": " + key + " " + a + " → " + b);
        }
      }
    }
    // A version dated before one already in force rewrites the days in between.
    String latest = recorded.isEmpty() ? "" : recorded.lastKey();
    for (PriceVersion v : book.versions()) {
      String day = v.effectiveFrom().toString();
      if (!recorded.containsKey(day) && day.compareTo(latest) < 0) {
        out.add(day + ": version added in the past");
      }
    }
    return out;
  }

  private static List<String> union(Map<String, String> a, Map<String, String> b) {
    List<String> keys = new ArrayList<>(a.keySet());
    b.keySet().stream().filter(k -> !a.containsKey(k)).forEach(keys::add);
    return keys;
  }

  private static TreeMap<String, String> recorded(RollupStore store) {
    TreeMap<String, String> out = new TreeMap<>();
    store.meta().texts(PREFIX).forEach(out::put);
    return out;
  }

  /**
   * Refuses a book that changes a version in force; records versions that came into force.
   *
   * @throws PriceBookException naming each change, and the way to make it on purpose
   */
  public static void enforce(RollupStore store, PriceBook book, LocalDate today) {
    List<String> changes = changes(store, book, today);
    if (!changes.isEmpty()) {
      throw new PriceBookException(
          "price versions in force are immutable, but the price book changes them: "
              + String.join("; ", changes)
              + ". Add a new version from a future day, or change the past on purpose with"
              + " `chargeback reprice --prices FILE`");
    }
    record(store, book, today);
  }

  /** Records every version in force on {@code today} as it now stands (used by reprice). */
  public static void record(RollupStore store, PriceBook book, LocalDate today) {
    Map<String, String> recorded = recorded(store);
    for (String day : recorded.keySet()) {
      if (book.versions().stream().noneMatch(v -> v.effectiveFrom().toString().equals(day))) {
        store.meta().delete(PREFIX + day);
      }
    }
    for (PriceVersion v : book.versions()) {
      if (!v.effectiveFrom().isAfter(today)) {
        String text = text(canonical(book, v));
        if (!text.equals(recorded.get(v.effectiveFrom().toString()))) {
          store.meta().put(PREFIX + v.effectiveFrom(), text);
        }
      }
    }
  }
}
