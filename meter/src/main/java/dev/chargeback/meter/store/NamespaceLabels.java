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
    String latest = null;
    for (Map.Entry<String, String> e : meta.texts(PREFIX + namespace + "/").entrySet()) {
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
