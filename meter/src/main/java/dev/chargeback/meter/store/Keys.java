package dev.chargeback.meter.store;

import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.rollup.Point;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.YearMonth;
import java.util.Arrays;

/**
 * Key and value layouts. Rollup keys are {@code scope | owner | workload | resource | bucket}:
 * big-endian, fixed-width times (sign bit flipped so that unsigned byte order is time order) and
 * length-prefixed strings, so one seek on {@code scope | owner | workload | resource} returns a
 * series' buckets in time order.
 */
public final class Keys {
  private Keys() {}

  private static final int MAX_STRING = 0xFFFF;

  private static byte[] utf8(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > MAX_STRING) {
      throw new IllegalArgumentException("key part longer than 65535 bytes");
    }
    return b;
  }

  /** {@code scope | owner}: the prefix of all of an owner's rollups. */
  public static byte[] ownerPrefix(Scope scope, String owner) {
    byte[] o = utf8(owner);
    return ByteBuffer.allocate(1 + 2 + o.length)
        .put((byte) scope.code)
        .putShort((short) o.length)
        .put(o)
        .array();
  }

  /** {@code scope | owner | workload | resource}: a total's key, and a rollup series' prefix. */
  public static byte[] series(RollupKey k) {
    byte[] o = utf8(k.owner());
    byte[] w = utf8(k.workload());
    return ByteBuffer.allocate(1 + 2 + o.length + 2 + w.length + 1)
        .put((byte) k.scope().code)
        .putShort((short) o.length)
        .put(o)
        .putShort((short) w.length)
        .put(w)
        .put((byte) k.resource().code)
        .array();
  }

  /** A rollup bucket's key. */
  public static byte[] rollup(RollupKey k, long bucketStartSeconds) {
    return rollup(series(k), bucketStartSeconds);
  }

  /** A rollup bucket's key, after its series' key ({@link #series}). */
  public static byte[] rollup(byte[] prefix, long bucketStartSeconds) {
    return ByteBuffer.allocate(prefix.length + 8)
        .put(prefix)
        .putLong(bucketStartSeconds ^ Long.MIN_VALUE)
        .array();
  }

  /** The rollup identity of a total's key or a rollup's key. */
  public static RollupKey decodeSeries(byte[] key) {
    ByteBuffer b = ByteBuffer.wrap(key);
    Scope scope = Scope.ofCode(b.get());
    String owner = string(b);
    String workload = string(b);
    Resource resource = Resource.ofCode(b.get());
    return new RollupKey(scope, owner, workload, resource);
  }

  /** The bucket start of a rollup key. */
  public static long decodeBucket(byte[] key) {
    return ByteBuffer.wrap(key, key.length - 8, 8).getLong() ^ Long.MIN_VALUE;
  }

  private static String string(ByteBuffer b) {
    int len = Short.toUnsignedInt(b.getShort());
    String s = new String(b.array(), b.position(), len, StandardCharsets.UTF_8);
    b.position(b.position() + len);
    return s;
  }

  /** The smallest key greater than every key starting with {@code prefix}, or null. */
  public static byte[] prefixEnd(byte[] prefix) {
    byte[] end = prefix.clone();
    for (int i = end.length - 1; i >= 0; i--) {
      if (end[i] != (byte) 0xFF) {
        end[i]++;
        return Arrays.copyOf(end, i + 1);
      }
    }
    return null;
  }

  /** {@code namespace | month}: the prefix of a month's active workloads of a namespace. */
  public static byte[] activePrefix(String namespace, YearMonth month) {
    byte[] n = utf8(namespace);
    return ByteBuffer.allocate(2 + n.length + 4)
        .putShort((short) n.length)
        .put(n)
        .putInt(month.getYear() * 12 + month.getMonthValue() - 1)
        .array();
  }

  /** {@code namespace | month | workload}: a workload active in a month. */
  public static byte[] active(String namespace, YearMonth month, String workload) {
    byte[] prefix = activePrefix(namespace, month);
    byte[] w = utf8(workload);
    return ByteBuffer.allocate(prefix.length + w.length).put(prefix).put(w).array();
  }

  /** The workload of an {@link #active} key whose prefix is {@code prefixLength} long. */
  public static String decodeActiveWorkload(byte[] key, int prefixLength) {
    return new String(key, prefixLength, key.length - prefixLength, StandardCharsets.UTF_8);
  }

  /** {@code target | }: the prefix of a target's series. */
  public static byte[] targetPrefix(String target) {
    byte[] t = utf8(target);
    return ByteBuffer.allocate(2 + t.length).putShort((short) t.length).put(t).array();
  }

  /**
   * A series' last sample: {@code target | 0 | identity} (8 bytes). Keys from before identities
   * were numbers end in the series' text instead, which never starts with a 0 byte.
   */
  public static byte[] seriesState(String target, long series) {
    byte[] prefix = targetPrefix(target);
    return ByteBuffer.allocate(prefix.length + 9).put(prefix).put((byte) 0).putLong(series).array();
  }

  /** The identity in a {@link #seriesState} key, of either form. */
  public static long decodeSeries(byte[] key, int prefixLength) {
    if (key.length == prefixLength + 9 && key[prefixLength] == 0) {
      return ByteBuffer.wrap(key, prefixLength + 1, 8).getLong();
    }
    return Labels.identityOf(
        new String(key, prefixLength, key.length - prefixLength, StandardCharsets.UTF_8));
  }

  /** Whether a key of the series family is a {@link #seriesSnapshot}. */
  static boolean isSeriesSnapshot(byte[] key) {
    int len = Short.toUnsignedInt(ByteBuffer.wrap(key).getShort());
    return key.length == 2 + len + 1 && key[2 + len] == 1;
  }

  /**
   * All of a target's last samples in one value: {@code target | 1}, after the target's {@link
   * #seriesState} keys (whose first byte after the target is 0, or a letter in their text form).
   */
  public static byte[] seriesSnapshot(String target) {
    byte[] prefix = targetPrefix(target);
    return ByteBuffer.allocate(prefix.length + 1).put(prefix).put((byte) 1).array();
  }

  /** The target of a {@link #seriesState} key. */
  static String decodeSeriesTarget(byte[] key) {
    int len = Short.toUnsignedInt(ByteBuffer.wrap(key).getShort());
    return new String(key, 2, len, StandardCharsets.UTF_8);
  }

  public static byte[] meta(String name) {
    return name.getBytes(StandardCharsets.UTF_8);
  }

  /** A signed 64-bit integer as RocksDB's {@code uint64add} merge operator reads it. */
  public static byte[] fixed(long v) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array();
  }

  public static long decodeFixed(byte[] v) {
    return ByteBuffer.wrap(v).order(ByteOrder.LITTLE_ENDIAN).getLong();
  }

  /**
   * A rollup value in {@code r}'s unit: an integer count of its quantum ({@link Resource#units}),
   * or, written before rollups were integers, a double and a count (16 bytes, converted on the
   * writer's first start; see {@link RollupFormat}).
   */
  public static double sum(Resource r, byte[] value) {
    return value.length == 16 ? ByteBuffer.wrap(value).getDouble() : r.amount(decodeFixed(value));
  }

  /**
   * A sample value and its timestamp, and a gauge's carry when it has one: 16 or 24 bytes (the
   * carry is committed with the usage it was left from, so a restart goes on from it).
   */
  public static byte[] pointValue(Point p) {
    ByteBuffer b =
        ByteBuffer.allocate(p.carry() == 0 ? 16 : 24)
            .putDouble(p.value())
            .putLong(p.timestampMillis());
    return p.carry() == 0 ? b.array() : b.putDouble(p.carry()).array();
  }

  public static Point decodePoint(byte[] v) {
    ByteBuffer b = ByteBuffer.wrap(v);
    return new Point(b.getDouble(), b.getLong(), v.length >= 24 ? b.getDouble() : 0);
  }

  public static double first(byte[] value) {
    return ByteBuffer.wrap(value).getDouble();
  }

  public static long second(byte[] value) {
    return ByteBuffer.wrap(value, 8, 8).getLong();
  }

  public static byte[] longValue(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  public static long decodeLong(byte[] v) {
    return ByteBuffer.wrap(v).getLong();
  }
}
