package dev.chargeback.meter.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Namespaces' {@code chargeback.dev/} annotations as they are now (a budget, bill recipients), so
 * every role reads what the meter's discovery saw: kept in {@link Meta} as JSON under {@code
 * namespace/annotations/NS}, written only when they change.
 */
public final class NamespaceAnnotations {
  private static final String KEY = "namespace/annotations/";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {};

  private final Meta meta;

  NamespaceAnnotations(Meta meta) {
    this.meta = meta;
  }

  /** Records {@code namespace}'s annotations as they are now (none: forgets them). */
  public void record(String namespace, Map<String, String> annotations) {
    Map<String, String> kept = new TreeMap<>();
    if (annotations != null) {
      annotations.forEach(
          (k, v) -> {
            if (v != null) {
              kept.put(k, v);
            }
          });
    }
    String key = KEY + namespace;
    if (kept.isEmpty()) {
      if (meta.text(key) != null) {
        meta.delete(key);
      }
      return;
    }
    String value;
    try {
      value = JSON.writeValueAsString(kept);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    if (!value.equals(meta.text(key))) {
      meta.put(key, value);
    }
  }

  /** Every namespace's kept annotations, by namespace. */
  public Map<String, Map<String, String>> all() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    meta.texts(KEY)
        .forEach(
            (ns, json) -> {
              try {
                out.put(ns, JSON.readValue(json, STRING_MAP));
              } catch (IOException e) {
                throw new StoreException("unreadable annotations of namespace " + ns, e);
              }
            });
    return out;
  }
}
