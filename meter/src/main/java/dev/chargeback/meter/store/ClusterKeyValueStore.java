package dev.chargeback.meter.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Another cluster's part of a store: every key of every family behind {@code 0xFF | length |
 * cluster}, so a central chargeback keeps each cluster's rollups, totals, hour sources and active
 * workloads with the same layouts as its own, in the same RocksDB and the same atomic batches.
 *
 * <p>No key of the store's own cluster starts with {@code 0xFF}: rollups and totals start with a
 * scope code, meta keys with text, series and active keys with a length below 64 KiB. So the own
 * cluster's scans by scope, text or namespace never see another cluster's keys, while whole-family
 * walks (retention) visit all clusters' buckets alike.
 */
final class ClusterKeyValueStore implements KeyValueStore {
  static final byte MARK = (byte) 0xFF;

  private final KeyValueStore base;
  private final byte[] prefix;

  ClusterKeyValueStore(KeyValueStore base, String cluster) {
    this.base = base;
    this.prefix = prefix(cluster);
  }

  /** {@code 0xFF | length | cluster}: the prefix of all of a cluster's keys. */
  static byte[] prefix(String cluster) {
    byte[] name = cluster.getBytes(StandardCharsets.UTF_8);
    if (name.length == 0 || name.length > 255) {
      throw new IllegalArgumentException("a cluster name is 1 to 255 bytes: " + cluster);
    }
    return ByteBuffer.allocate(3 + name.length)
        .put(MARK)
        .putShort((short) name.length)
        .put(name)
        .array();
  }

  private byte[] in(byte[] key) {
    byte[] out = Arrays.copyOf(prefix, prefix.length + key.length);
    System.arraycopy(key, 0, out, prefix.length, key.length);
    return out;
  }

  private byte[] out(byte[] key) {
    return Arrays.copyOfRange(key, prefix.length, key.length);
  }

  private byte[] end(byte[] to) {
    return to == null ? Keys.prefixEnd(prefix) : in(to);
  }

  @Override
  public byte[] get(Family family, byte[] key) {
    return base.get(family, in(key));
  }

  @Override
  public void scan(Family family, byte[] from, byte[] to, Visitor visitor) {
    base.scan(family, in(from), end(to), (k, v) -> visitor.visit(out(k), v));
  }

  @Override
  public void scanRanges(Family family, List<byte[][]> ranges, RangeVisitor visitor) {
    List<byte[][]> mine = new ArrayList<>(ranges.size());
    for (byte[][] r : ranges) {
      mine.add(new byte[][] {in(r[0]), end(r[1])});
    }
    base.scanRanges(family, mine, (range, k, v) -> visitor.visit(range, out(k), v));
  }

  @Override
  public void seekEach(Family family, byte[] from, Seeker seeker) {
    base.seekEach(
        family,
        in(from),
        (k, v) -> {
          if (k.length < prefix.length
              || !Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
            return null;
          }
          byte[] next = seeker.next(out(k), v);
          return next == null ? null : in(next);
        });
  }

  @Override
  public Batch batch(int bytes) {
    return base.batch(bytes).prefixed(prefix);
  }

  /** Writes a batch of this view's: its keys carry the cluster's prefix. */
  @Override
  public void write(Batch batch) {
    if (!batch.prefixedWith(prefix)) {
      throw new IllegalArgumentException("a batch of another store");
    }
    base.write(batch);
  }

  @Override
  public void catchUp() {
    base.catchUp();
  }

  @Override
  public long sequence() {
    return base.sequence();
  }

  @Override
  public boolean writable() {
    return base.writable();
  }

  @Override
  public void checkpoint(Path dir) {
    throw new UnsupportedOperationException("back up the whole store, not one cluster's part");
  }

  /** The store is the base's: closing one cluster's view of it closes nothing. */
  @Override
  public void close() {}
}
