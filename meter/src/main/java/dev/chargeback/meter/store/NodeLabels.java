package dev.chargeback.meter.store;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Each node's labels over time (only the keys the price book's node classes select on), so usage is
 * priced with the class its node had when it ran. Every change starts a revision, kept in {@link
 * Meta} as JSON under {@code node/labels/NODE/SINCE} (epoch seconds, zero-padded); usage on a node
 * is also rolled up per revision ({@link dev.chargeback.meter.rollup.Scope#PLACEMENT}), named by a
 * placement {@code NODE@SINCE}, so a node relabelled into another class at 14:00 bills the hours
 * before and after at each class's prices, whatever the price book says later.
 */
public final class NodeLabels {
  private static final String PREFIX = "node/labels/";
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<TreeMap<String, String>> STRING_MAP = new TypeReference<>() {};

  private final Meta meta;

  /** The writer's memory: per node, its revisions by start; loaded on first use. */
  private volatile Map<String, ConcurrentSkipListMap<Long, Map<String, String>>> revisions;

  NodeLabels(Meta meta) {
    this.meta = meta;
  }

  /**
   * Records {@code node}'s labels as of {@code nowSeconds}: a new revision when they differ from
   * its latest one.
   */
  public synchronized void record(String node, Map<String, String> labels, long nowSeconds) {
    ConcurrentSkipListMap<Long, Map<String, String>> mine =
        revisions().computeIfAbsent(node, n -> new ConcurrentSkipListMap<>());
    Map<String, String> sorted = new TreeMap<>(labels);
    if (!mine.isEmpty() && mine.lastEntry().getValue().equals(sorted)) {
      return;
    }
    long since = mine.isEmpty() ? nowSeconds : Math.max(nowSeconds, mine.lastKey() + 1);
    try {
      meta.put(key(node, since), JSON.writeValueAsString(sorted));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    mine.put(since, Map.copyOf(sorted));
  }

  /**
   * The placement of usage on {@code node} at {@code seconds}: {@code NODE@SINCE} of the revision
   * then in force (before the first, the first: the labels as first seen are the best knowledge of
   * before), or null when no labels of the node were recorded.
   */
  public String placementAt(String node, long seconds) {
    Map.Entry<Long, Map<String, String>> e = revisionAt(node, seconds);
    return e == null ? null : placement(node, e.getKey());
  }

  /** The labels {@code node} had at {@code seconds}, as {@link #placementAt} finds them. */
  public Map<String, String> at(String node, long seconds) {
    Map.Entry<Long, Map<String, String>> e = revisionAt(node, seconds);
    return e == null ? Map.of() : e.getValue();
  }

  private Map.Entry<Long, Map<String, String>> revisionAt(String node, long seconds) {
    ConcurrentSkipListMap<Long, Map<String, String>> mine = revisions().get(node);
    if (mine == null) {
      return null;
    }
    Map.Entry<Long, Map<String, String>> e = mine.floorEntry(seconds);
    return e != null ? e : mine.firstEntry();
  }

  /**
   * Every placement's labels, read from the store (a reader's view, e.g. the exporter's secondary,
   * sees what the writer recorded).
   */
  public Map<String, Map<String, String>> placements() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    read().forEach((node, byStart) -> byStart.forEach((s, l) -> out.put(placement(node, s), l)));
    return out;
  }

  /** The node of a placement. */
  public static String node(String placement) {
    int at = placement.lastIndexOf('@');
    return at < 0 ? placement : placement.substring(0, at);
  }

  private static String placement(String node, long since) {
    return node + "@" + since;
  }

  private static String key(String node, long since) {
    return PREFIX + node + "/" + String.format("%012d", since);
  }

  private Map<String, ConcurrentSkipListMap<Long, Map<String, String>>> revisions() {
    Map<String, ConcurrentSkipListMap<Long, Map<String, String>>> r = revisions;
    if (r == null) {
      synchronized (this) {
        if (revisions == null) {
          revisions = new ConcurrentHashMap<>(read());
        }
        r = revisions;
      }
    }
    return r;
  }

  private Map<String, ConcurrentSkipListMap<Long, Map<String, String>>> read() {
    Map<String, ConcurrentSkipListMap<Long, Map<String, String>>> out = new TreeMap<>();
    meta.texts(PREFIX)
        .forEach(
            (rest, json) -> {
              int slash = rest.lastIndexOf('/');
              if (slash <= 0) {
                return;
              }
              try {
                Map<String, String> labels = Map.copyOf(JSON.readValue(json, STRING_MAP));
                out.computeIfAbsent(rest.substring(0, slash), n -> new ConcurrentSkipListMap<>())
                    .put(Long.parseLong(rest.substring(slash + 1)), labels);
              } catch (IOException | NumberFormatException e) {
                throw new StoreException("unreadable labels of node " + rest + ": " + json, e);
              }
            });
    return out;
  }
}
