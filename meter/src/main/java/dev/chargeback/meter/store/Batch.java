package dev.chargeback.meter.store;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One atomic batch of writes, encoded as it is built in RocksDB's own batch format (the records of
 * its write-ahead log), so RocksDB takes it whole in one call. A scrape round at 1,000 nodes writes
 * about 34,000 merge operands: built one call each, every operand was a {@link Write} object, a key
 * array, an 8-byte value array and a JNI crossing, alive together until the batch was written, and
 * young collections promoted them by the megabyte.
 *
 * <p>The format ({@code db/write_batch.cc}): a 12-byte header (sequence, fixed 64-bit, filled by
 * RocksDB; count of records, fixed 32-bit, little-endian), then per record a tag byte, the column
 * family's id (varint32) unless it is the default one, and the key and value, each a varint32
 * length and its bytes. {@code BatchTest} checks it byte for byte against RocksJava's own encoder.
 *
 * <p>A store makes its batches ({@link KeyValueStore#batch}): it knows its column families' ids and
 * any prefix its keys carry.
 */
public final class Batch {
  private static final int HEADER = 12;
  private static final VarHandle BIG_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle LITTLE_LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LITTLE_INT =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

  // RocksDB's value types (db/dbformat.h): without and with a column family id.
  private static final byte DELETE = 0x0;
  private static final byte PUT = 0x1;
  private static final byte MERGE = 0x2;
  private static final byte CF_DELETE = 0x4;
  private static final byte CF_PUT = 0x5;
  private static final byte CF_MERGE = 0x6;
  private static final byte CF_DELETE_RANGE = 0xE;
  private static final byte DELETE_RANGE = 0xF;

  private final int[] familyIds;
  private byte[] keyPrefix;
  private byte[] buf;
  private int size = HEADER;
  private int count;

  /**
   * @param familyIds each family's column family id, by ordinal
   * @param keyPrefix bytes every key of this batch starts with (empty for none)
   */
  Batch(int[] familyIds, byte[] keyPrefix, int capacity) {
    this.familyIds = familyIds;
    this.keyPrefix = keyPrefix;
    this.buf = new byte[Math.max(HEADER + 64, capacity)];
  }

  /** This batch, still empty, with keys that also start with {@code more}. */
  Batch prefixed(byte[] more) {
    if (count > 0) {
      throw new IllegalStateException("a batch is prefixed before it is written to");
    }
    byte[] both = Arrays.copyOf(keyPrefix, keyPrefix.length + more.length);
    System.arraycopy(more, 0, both, keyPrefix.length, more.length);
    keyPrefix = both;
    return this;
  }

  /** Sets a key. */
  public void put(Family family, byte[] key, byte[] value) {
    record(family, PUT, CF_PUT, key.length + value.length + 10);
    key(key, 0);
    bytes(value);
  }

  /**
   * Adds a signed 64-bit integer to a key's value (RocksDB's {@code uint64add} merge operator, see
   * {@link Write.Add}).
   */
  public void add(Family family, byte[] key, long amount) {
    record(family, MERGE, CF_MERGE, key.length + 20);
    key(key, 0);
    fixed(amount);
  }

  /**
   * Adds to the key {@code series | bucket} ({@link Keys#rollup}) without making it: the hot path
   * of every scrape.
   */
  public void add(Family family, byte[] series, long bucketStartSeconds, long amount) {
    record(family, MERGE, CF_MERGE, series.length + 28);
    key(series, 8);
    BIG_LONG.set(buf, size, bucketStartSeconds ^ Long.MIN_VALUE);
    size += 8;
    fixed(amount);
  }

  /** Removes a key. */
  public void delete(Family family, byte[] key) {
    record(family, DELETE, CF_DELETE, key.length + 5);
    key(key, 0);
  }

  /** Removes every key in [from, to). */
  public void deleteRange(Family family, byte[] from, byte[] to) {
    record(family, DELETE_RANGE, CF_DELETE_RANGE, from.length + to.length + 10);
    key(from, 0);
    key(to, 0);
  }

  public void add(Write w) {
    switch (w) {
      case Write.Put p -> put(p.family(), p.key(), p.value());
      case Write.Add a -> add(a.family(), a.key(), a.amount());
      case Write.Delete d -> delete(d.family(), d.key());
      case Write.DeleteRange r -> deleteRange(r.family(), r.from(), r.to());
    }
  }

  public void addAll(List<Write> writes) {
    writes.forEach(this::add);
  }

  /** Whether the batch numbers column families as {@code familyIds} does (its store's). */
  boolean of(int[] familyIds) {
    return this.familyIds == familyIds;
  }

  /** Whether every key of this batch starts with exactly {@code prefix}. */
  boolean prefixedWith(byte[] prefix) {
    return Arrays.equals(keyPrefix, prefix);
  }

  /** How many writes the batch holds. */
  public int count() {
    return count;
  }

  /** The batch in RocksDB's format, exactly as long as it is. */
  byte[] bytes() {
    LITTLE_INT.set(buf, 8, count);
    return Arrays.copyOf(buf, size);
  }

  /**
   * The writes back, keys with their prefix (a merge's value read back as its amount): how the
   * in-memory store applies a batch, and what tests inspect.
   */
  List<Write> writes() {
    Family[] byId = new Family[Arrays.stream(familyIds).max().orElse(0) + 1];
    for (Family f : Family.values()) {
      byId[familyIds[f.ordinal()]] = f;
    }
    List<Write> out = new ArrayList<>(count);
    int[] at = {HEADER};
    for (int i = 0; i < count; i++) {
      byte tag = buf[at[0]++];
      boolean inFamily =
          tag == CF_DELETE || tag == CF_PUT || tag == CF_MERGE || tag == CF_DELETE_RANGE;
      Family f = byId[inFamily ? varint(at) : 0];
      byte[] key = slice(at);
      out.add(
          switch (tag) {
            case PUT, CF_PUT -> new Write.Put(f, key, slice(at));
            case MERGE, CF_MERGE -> new Write.Add(f, key, Keys.decodeFixed(slice(at)));
            case DELETE, CF_DELETE -> new Write.Delete(f, key);
            case DELETE_RANGE, CF_DELETE_RANGE -> new Write.DeleteRange(f, key, slice(at));
            default -> throw new IllegalStateException("unknown record type " + tag);
          });
    }
    return out;
  }

  private int varint(int[] at) {
    int v = 0;
    for (int shift = 0; ; shift += 7) {
      byte b = buf[at[0]++];
      v |= (b & 0x7F) << shift;
      if (b >= 0) {
        return v;
      }
    }
  }

  private byte[] slice(int[] at) {
    int length = varint(at);
    byte[] out = Arrays.copyOfRange(buf, at[0], at[0] + length);
    at[0] += length;
    return out;
  }

  /** Starts a record of {@code family}, with room for {@code length} more bytes of it. */
  private void record(Family family, byte plain, byte inFamily, int length) {
    int id = familyIds[family.ordinal()];
    ensure(length + 2 * keyPrefix.length + 6);
    if (id == 0) {
      buf[size++] = plain;
    } else {
      buf[size++] = inFamily;
      varint(id);
    }
    count++;
  }

  /** A key: its length (with the batch's prefix and {@code more} bytes after it), the bytes. */
  private void key(byte[] key, int more) {
    varint(keyPrefix.length + key.length + more);
    System.arraycopy(keyPrefix, 0, buf, size, keyPrefix.length);
    size += keyPrefix.length;
    System.arraycopy(key, 0, buf, size, key.length);
    size += key.length;
  }

  private void bytes(byte[] value) {
    varint(value.length);
    System.arraycopy(value, 0, buf, size, value.length);
    size += value.length;
  }

  /** A merge operand of {@code uint64add}: 8 bytes, little-endian ({@link Keys#fixed}). */
  private void fixed(long amount) {
    buf[size++] = 8;
    LITTLE_LONG.set(buf, size, amount);
    size += 8;
  }

  private void varint(int v) {
    while ((v & ~0x7F) != 0) {
      buf[size++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    buf[size++] = (byte) v;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
