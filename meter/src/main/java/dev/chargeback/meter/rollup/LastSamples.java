package dev.chargeback.meter.rollup;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * A target's last sample of each series ({@link Point}s by series identity) in one array: per
 * series its identity, value, timestamp and carry, 32 bytes, big-endian, sorted by identity. It is
 * also the form the store keeps (one value per target), so a scrape's new state is written as it
 * is. Immutable; a scrape makes the next one with a {@link Builder}.
 *
 * <p>One array rather than a map of points: at 1,000 nodes a map held 120,000 points, each with a
 * map node and a boxed identity (about 100 bytes a series, 12 MB of the meter's 35 MB of live
 * heap), and every scrape built two more maps.
 */
public final class LastSamples {
  /** Bytes per series. */
  public static final int ENTRY = 32;

  private static final VarHandle LONG =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
  private static final VarHandle DOUBLE =
      MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.BIG_ENDIAN);

  /** No series. */
  public static final LastSamples NONE = new LastSamples(new byte[0]);

  private final byte[] entries;

  private LastSamples(byte[] entries) {
    this.entries = entries;
  }

  /**
   * From the store's form; older stores kept it in any order (and a trailing partial entry is
   * ignored), so it is sorted here when it is not already.
   */
  public static LastSamples of(byte[] stored) {
    int n = stored.length / ENTRY;
    byte[] entries = stored.length == n * ENTRY ? stored : Arrays.copyOf(stored, n * ENTRY);
    for (int i = 1; i < n; i++) {
      if (Long.compare(id(entries, i - 1), id(entries, i)) >= 0) {
        Builder b = new Builder(n);
        for (int j = 0; j < n; j++) {
          b.put(id(entries, j), value(entries, j), timestamp(entries, j), carry(entries, j));
        }
        return b.build(NONE, Long.MIN_VALUE);
      }
    }
    return new LastSamples(entries);
  }

  /** From points by identity (tests, and stores from before one value per target). */
  public static LastSamples of(Map<Long, Point> points) {
    Builder b = new Builder(points.size());
    points.forEach((id, p) -> b.put(id, p.value(), p.timestampMillis(), p.carry()));
    return b.build(NONE, Long.MIN_VALUE);
  }

  public int size() {
    return entries.length / ENTRY;
  }

  /** The index of series {@code id}, or a negative number when there is none. */
  public int indexOf(long id) {
    int lo = 0;
    int hi = size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      long at = id(entries, mid);
      if (at < id) {
        lo = mid + 1;
      } else if (at > id) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -1;
  }

  public double value(int i) {
    return value(entries, i);
  }

  public long timestampMillis(int i) {
    return timestamp(entries, i);
  }

  public double carry(int i) {
    return carry(entries, i);
  }

  /**
   * The stored form. It is this object's own array, so the store writes it without a copy: never
   * change it.
   */
  public byte[] stored() {
    return entries;
  }

  /** The points by identity (for tests and tools). */
  public Map<Long, Point> asMap() {
    Map<Long, Point> out = new HashMap<>();
    for (int i = 0; i < size(); i++) {
      out.put(id(entries, i), new Point(value(i), timestampMillis(i), carry(i)));
    }
    return out;
  }

  private static long id(byte[] b, int i) {
    return (long) LONG.get(b, i * ENTRY);
  }

  private static double value(byte[] b, int i) {
    return (double) DOUBLE.get(b, i * ENTRY + 8);
  }

  private static long timestamp(byte[] b, int i) {
    return (long) LONG.get(b, i * ENTRY + 16);
  }

  private static double carry(byte[] b, int i) {
    return (double) DOUBLE.get(b, i * ENTRY + 24);
  }

  private static void set(byte[] b, int i, long id, double value, long timestamp, double carry) {
    LONG.set(b, i * ENTRY, id);
    DOUBLE.set(b, i * ENTRY + 8, value);
    LONG.set(b, i * ENTRY + 16, timestamp);
    DOUBLE.set(b, i * ENTRY + 24, carry);
  }

  /** A scrape's new samples, made into the next state by {@link #build}. */
  public static final class Builder {
    private long[] ids;
    private double[] values;
    private long[] timestamps;
    private double[] carries;
    private int size;

    public Builder(int expected) {
      int n = Math.max(expected, 4);
      ids = new long[n];
      values = new double[n];
      timestamps = new long[n];
      carries = new double[n];
    }

    /** Series {@code id}'s new last sample; a later one of the same series replaces it. */
    public void put(long id, double value, long timestampMillis, double carry) {
      if (size == ids.length) {
        int n = size * 2;
        ids = Arrays.copyOf(ids, n);
        values = Arrays.copyOf(values, n);
        timestamps = Arrays.copyOf(timestamps, n);
        carries = Arrays.copyOf(carries, n);
      }
      ids[size] = id;
      values[size] = value;
      timestamps[size] = timestampMillis;
      carries[size] = carry;
      size++;
    }

    /**
     * The samples put here, and those of {@code previous} not put here whose timestamp is at least
     * {@code keepFromMillis} (series gone from the target are kept until they are that old).
     */
    public LastSamples build(LastSamples previous, long keepFromMillis) {
      // The new samples in identity order, a later one of a series winning: each goes to its
      // identity's place among the sorted distinct identities.
      long[] sorted = Arrays.copyOf(ids, size);
      Arrays.sort(sorted);
      int distinct = 0;
      for (int i = 0; i < size; i++) {
        if (i == 0 || sorted[i] != sorted[i - 1]) {
          sorted[distinct++] = sorted[i];
        }
      }
      byte[] fresh = new byte[distinct * ENTRY];
      for (int i = 0; i < size; i++) {
        int at = Arrays.binarySearch(sorted, 0, distinct, ids[i]);
        set(fresh, at, ids[i], values[i], timestamps[i], carries[i]);
      }
      // Merged with the previous samples still kept, both in identity order.
      byte[] old = previous.entries;
      int olds = previous.size();
      int kept = 0;
      for (int j = 0; j < olds; j++) {
        if (timestamp(old, j) >= keepFromMillis
            && Arrays.binarySearch(sorted, 0, distinct, id(old, j)) < 0) {
          kept++;
        }
      }
      byte[] out = new byte[(distinct + kept) * ENTRY];
      int i = 0;
      int j = 0;
      int o = 0;
      while (i < distinct || j < olds) {
        if (j == olds || i < distinct && sorted[i] <= id(old, j)) {
          if (j < olds && sorted[i] == id(old, j)) {
            j++; // replaced
          }
          System.arraycopy(fresh, i * ENTRY, out, o * ENTRY, ENTRY);
          i++;
          o++;
        } else {
          if (timestamp(old, j) >= keepFromMillis) {
            System.arraycopy(old, j * ENTRY, out, o * ENTRY, ENTRY);
            o++;
          }
          j++;
        }
      }
      return new LastSamples(out);
    }
  }
}
