package dev.chargeback.meter.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Each node's labels over time (only the keys the price book's node classes select on), so usage is
 * priced with the class its node had when it ran. Every change starts a revision, kept in {@link
 * Meta} under {@code node/labels/NODE/SINCE} (epoch seconds, zero-padded); the revision names its
 * label set, {@code node/labelset/ID} (a hash of the labels, as JSON). Usage on a node is also
 * rolled up per label set ({@link dev.chargeback.meter.rollup.Scope#PLACEMENT}, its placement): the
 * nodes of one pool share one, so a namespace on 200 nodes of two pools keeps two, and a node
 * relabelled at 14:00 moves to another one, so the hours before and after bill at each class's
 * prices, whatever the price book says later.
 */
public final class NodeLabels {
  private static final String REVISIONS = "node/labels/";
  private static final String SETS = "node/labelset/";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {};

  private final Meta meta;

  /** The writer's memory: per node, its revisions' label set ids by start; loaded on first use. */
  private volatile Map<String, ConcurrentSkipListMap<Long, String>> revisions;

  /** Label sets by id, as recorded. */
  private final Map<String, Map<String, String>> sets = new ConcurrentHashMap<>();

  NodeLabels(Meta meta) {
    this.meta = meta;
  }

  /**
   * Records {@code node}'s labels as of {@code nowSeconds}: a new revision when they differ from
   * its latest one (and the label set, the first time any node has it).
   */
  public synchronized void record(String node, Map<String, String> labels, long nowSeconds) {
    ConcurrentSkipListMap<Long, String> mine =
        revisions().computeIfAbsent(node, n -> new ConcurrentSkipListMap<>());
    String json = json(labels);
    String id = id(json);
    if (!mine.isEmpty() && mine.lastEntry().getValue().equals(id)) {
      return;
    }
    if (!sets.containsKey(id)) {
      meta.put(SETS + id, json);
      sets.put(id, Map.copyOf(new TreeMap<>(labels)));
    }
    long since = mine.isEmpty() ? nowSeconds : Math.max(nowSeconds, mine.lastKey() + 1);
    meta.put(REVISIONS + node + "/" + String.format("%012d", since), id);
    mine.put(since, id);
  }

  /**
   * The placement of usage on {@code node} at {@code seconds}: the id of the label set then in
   * force (before the first revision, the first: the labels as first seen are the best knowledge of
   * before), or null when no labels of the node were recorded.
   */
  public String placementAt(String node, long seconds) {
    ConcurrentSkipListMap<Long, String> mine = revisions().get(node);
    if (mine == null) {
      return null;
    }
    Map.Entry<Long, String> e = mine.floorEntry(seconds);
    return e != null ? e.getValue() : mine.firstEntry().getValue();
  }

  /** The labels {@code node} had at {@code seconds}, as {@link #placementAt} finds them. */
  public Map<String, String> at(String node, long seconds) {
    String id = placementAt(node, seconds);
    return id == null ? Map.of() : sets.getOrDefault(id, Map.of());
  }

  /**
   * Every placement's labels, read from the store (a reader's view, e.g. the exporter's secondary,
   * sees what the writer recorded).
   */
  public Map<String, Map<String, String>> placements() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    meta.texts(SETS).forEach((id, json) -> out.put(id, parse(id, json)));
    return out;
  }

  /** A label set's canonical JSON (keys sorted). */
  private static String json(Map<String, String> labels) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(labels));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A label set's id: {@code ls-} and 16 hex digits of its JSON's SHA-256. */
  private static String id(String json) {
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256").digest(json.getBytes(StandardCharsets.UTF_8));
      return "ls-" + HexFormat.of().formatHex(hash, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private static Map<String, String> parse(String what, String json) {
    try {
      return Map.copyOf(JSON.readValue(json, STRING_MAP));
    } catch (IOException e) {
      throw new StoreException("unreadable node labels " + what + ": " + json, e);
    }
  }

  private Map<String, ConcurrentSkipListMap<Long, String>> revisions() {
    Map<String, ConcurrentSkipListMap<Long, String>> r = revisions;
    if (r == null) {
      synchronized (this) {
        if (revisions == null) {
          meta.texts(SETS).forEach((id, json) -> sets.put(id, parse(id, json)));
          Map<String, ConcurrentSkipListMap<Long, String>> read = new ConcurrentHashMap<>();
          meta.texts(REVISIONS)
              .forEach(
                  (rest, id) -> {
                    int slash = rest.lastIndexOf('/');
                    if (slash > 0) {
                      try {
                        read.computeIfAbsent(
                                rest.substring(0, slash), n -> new ConcurrentSkipListMap<>())
                            .put(Long.parseLong(rest.substring(slash + 1)), id);
                      } catch (NumberFormatException e) {
                        throw new StoreException("unreadable node labels revision " + rest, e);
                      }
                    }
                  });
          revisions = read;
        }
        r = revisions;
      }
    }
    return r;
  }
}
