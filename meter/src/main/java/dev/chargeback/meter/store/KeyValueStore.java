package dev.chargeback.meter.store;

import java.nio.file.Path;
import java.util.List;

/**
 * Ordered byte keys in column families, with atomic batches. Keys compare as unsigned bytes.
 * Implementations: {@link RocksKeyValueStore} (the product) and {@link MemoryKeyValueStore} (tests
 * and benches); both pass the same contract test.
 */
public interface KeyValueStore extends AutoCloseable {
  /** The value of a key, or null. */
  byte[] get(Family family, byte[] key);

  /**
   * Visits keys in [from, to) in order (to == null: to the end) until the visitor returns false.
   */
  void scan(Family family, byte[] from, byte[] to, Visitor visitor);

  /** Applies all writes, or none. */
  void write(List<Write> writes);

  /**
   * For a read-only secondary: makes the primary's writes so far visible. A writer does nothing.
   */
  default void catchUp() {}

  /** Whether this instance may write. */
  boolean writable();

  /** A consistent copy of the store in {@code dir}, openable as a store (a backup). */
  void checkpoint(Path dir);

  @Override
  void close();

  /** Receives scanned entries. */
  @FunctionalInterface
  interface Visitor {
    boolean visit(byte[] key, byte[] value);
  }
}
