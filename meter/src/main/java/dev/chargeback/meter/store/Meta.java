package dev.chargeback.meter.store;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The {@link Family#META} family as named values: counters and timestamps as numbers, settings and
 * small records as text. Writes go through the writer's batch path (its write health).
 */
public final class Meta {
  private final KeyValueStore kv;
  private final Consumer<List<Write>> writer;

  Meta(KeyValueStore kv, Consumer<List<Write>> writer) {
    this.kv = kv;
    this.writer = writer;
  }

  /** A counter or timestamp, 0 when absent. */
  public long number(String key) {
    byte[] v = kv.get(Family.META, Keys.meta(key));
    return v == null ? 0 : Keys.decodeLong(v);
  }

  /** Entries whose key starts with {@code prefix}, as numbers, keyed by the rest. */
  public Map<String, Long> numbers(String prefix) {
    return byPrefix(prefix, Keys::decodeLong);
  }

  /** Entries whose key starts with {@code prefix}, as text, keyed by the rest. */
  public Map<String, String> texts(String prefix) {
    return byPrefix(prefix, v -> new String(v, StandardCharsets.UTF_8));
  }

  /** A text value, or null. */
  public String text(String key) {
    byte[] v = kv.get(Family.META, Keys.meta(key));
    return v == null ? null : new String(v, StandardCharsets.UTF_8);
  }

  public void put(String key, String value) {
    writer.accept(
        List.of(
            new Write.Put(Family.META, Keys.meta(key), value.getBytes(StandardCharsets.UTF_8))));
  }

  public void putNumber(String key, long value) {
    writer.accept(List.of(new Write.Put(Family.META, Keys.meta(key), Keys.longValue(value))));
  }

  public void delete(String key) {
    writer.accept(List.of(new Write.Delete(Family.META, Keys.meta(key))));
  }

  private <T> Map<String, T> byPrefix(String prefix, Function<byte[], T> decode) {
    Map<String, T> out = new TreeMap<>();
    byte[] p = Keys.meta(prefix);
    kv.scan(
        Family.META,
        p,
        Keys.prefixEnd(p),
        (k, v) -> {
          out.put(
              new String(k, p.length, k.length - p.length, StandardCharsets.UTF_8),
              decode.apply(v));
          return true;
        });
    return out;
  }
}
