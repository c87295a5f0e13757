package dev.chargeback.meter.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.YearMonth;
import java.util.Map;
import java.util.TreeMap;

/**
 * Namespaces' chosen labels (e.g. {@code team}, {@code cost-center}) per month, so each month's
 * bill shows the labels of that month: kept in {@link Meta} as JSON under {@code
 * namespace/labels/NS/YYYY-MM}, written only when they change.
 */
public final class NamespaceLabels {
  private static final String PREFIX = "namespace/labels/";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {};

  private final Meta meta;

  NamespaceLabels(Meta meta) {
    this.meta = meta;
  }

  /** Records {@code namespace}'s labels as they are in {@code month}. */
  public void record(String namespace, YearMonth month, Map<String, String> labels) {
    String key = PREFIX + namespace + "/" + month;
    String value;
    try {
      value = JSON.writeValueAsString(new TreeMap<>(labels));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    if (!value.equals(meta.text(key))) {
      meta.put(key, value);
    }
  }

  /** The labels in {@code month}: that month's, else the latest before it, else none. */
  public Map<String, String> at(String namespace, YearMonth month) {
    return latest(namespace, meta.texts(PREFIX + namespace + "/"), month);
  }

  /**
   * Every namespace's labels in {@code month}, as {@link #at} gives them, read in one pass: for
   * pages that list many namespaces (one scan per namespace was a twelfth of an overview's time).
   * Namespaces without labels are absent.
   */
  public Map<String, Map<String, String>> allAt(YearMonth month) {
    Map<String, Map<String, String>> byNamespace = new TreeMap<>();
    meta.texts(PREFIX)
        .forEach(
            (key, value) -> {
              int slash = key.indexOf('/');
              if (slash > 0) {
                byNamespace
                    .computeIfAbsent(key.substring(0, slash), k -> new TreeMap<>())
                    .put(key.substring(slash + 1), value);
              }
            });
    Map<String, Map<String, String>> out = new TreeMap<>();
    byNamespace.forEach(
        (ns, months) -> {
          Map<String, String> labels = latest(ns, months, month);
          if (!labels.isEmpty()) {
            out.put(ns, labels);
          }
        });
    return out;
  }

  /** Of one namespace's labels by month (keys {@code YYYY-MM}), those in force in {@code month}. */
  private static Map<String, String> latest(
      String namespace, Map<String, String> byMonth, YearMonth month) {
    String latest = null;
    for (Map.Entry<String, String> e : byMonth.entrySet()) {
      if (e.getKey().compareTo(month.toString()) <= 0) {
        latest = e.getValue();
      }
    }
    if (latest == null) {
      return Map.of();
    }
    try {
      return JSON.readValue(latest, STRING_MAP);
    } catch (IOException e) {
      throw new StoreException("unreadable labels of namespace " + namespace + ": " + latest, e);
    }
  }
}
