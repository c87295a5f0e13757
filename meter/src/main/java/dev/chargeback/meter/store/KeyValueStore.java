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

  /**
   * Visits several ranges [from, to) in order, as {@link #scan} would one by one; RocksDB serves
   * them all from one iterator (a scrape of many namespaces does thousands of short scans).
   */
  default void scanRanges(Family family, List<byte[][]> ranges, RangeVisitor visitor) {
    for (int i = 0; i < ranges.size(); i++) {
      int range = i;
      scan(family, ranges.get(i)[0], ranges.get(i)[1], (k, v) -> visitor.visit(range, k, v));
    }
  }

  /** Receives entries of {@link #scanRanges}, with the index of their range. */
  @FunctionalInterface
  interface RangeVisitor {
    boolean visit(int range, byte[] key, byte[] value);
  }

  /**
   * Walks the family by seeking: visits the first key at or after {@code from}, then the first at
   * or after whatever position the seeker returns, until it returns null or the keys run out. One
   * RocksDB iterator serves the whole walk (retention visits one key per series, skipping its
   * buckets).
   */
  default void seekEach(Family family, byte[] from, Seeker seeker) {
    byte[] position = from;
    while (position != null) {
      byte[][] found = new byte[2][];
      scan(
          family,
          position,
          null,
          (k, v) -> {
            found[0] = k;
            found[1] = v;
            return false;
          });
      if (found[0] == null) {
        return;
      }
      position = seeker.next(found[0], found[1]);
    }
  }

  /** Receives the keys {@link #seekEach} lands on and names where to seek next (null: stop). */
  @FunctionalInterface
  interface Seeker {
    byte[] next(byte[] key, byte[] value);
  }

  /**
   * An empty batch of this store's, for {@link #write(Batch)}, with room for {@code bytes} of
   * writes (it grows as needed).
   */
  Batch batch(int bytes);

  /** Applies all of a batch's writes, or none. The batch must be this store's ({@link #batch}). */
  void write(Batch batch);

  /** Applies all writes, or none. */
  default void write(List<Write> writes) {
    write(batchOf(writes));
  }

  /** A batch of this store's holding {@code writes}. */
  default Batch batchOf(List<Write> writes) {
    Batch batch = batch(256);
    batch.addAll(writes);
    return batch;
  }

  /**
   * For a read-only secondary: makes the primary's writes so far visible. A writer does nothing.
   */
  default void catchUp() {}

  /**
   * A number that grows with every write this instance can see (after {@link #catchUp} on a
   * secondary) and changes with nothing else: answers computed from the store can be reused while
   * it stays the same.
   */
  long sequence();

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
