package dev.chargeback.meter.store;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/** An in-memory {@link KeyValueStore} with the same ordering and atomicity as RocksDB's. */
public final class MemoryKeyValueStore implements KeyValueStore {
  private final Map<Family, NavigableMap<byte[], byte[]>> families = new EnumMap<>(Family.class);
  private long sequence;

  @Override
  public synchronized long sequence() {
    return sequence;
  }

  private boolean closed;

  public MemoryKeyValueStore() {
    for (Family f : Family.values()) {
      families.put(f, new TreeMap<>(Arrays::compareUnsigned));
    }
  }

  @Override
  public synchronized byte[] get(Family family, byte[] key) {
    ensureOpen();
    byte[] v = families.get(family).get(key);
    return v == null ? null : v.clone();
  }

  @Override
  public void scan(Family family, byte[] from, byte[] to, Visitor visitor) {
    List<Map.Entry<byte[], byte[]>> entries;
    synchronized (this) {
      ensureOpen();
      NavigableMap<byte[], byte[]> map = families.get(family);
      entries =
          List.copyOf((to == null ? map.tailMap(from, true) : map.subMap(from, to)).entrySet());
    }
    for (Map.Entry<byte[], byte[]> e : entries) {
      if (!visitor.visit(e.getKey().clone(), e.getValue().clone())) {
        return;
      }
    }
  }

  @Override
  public void seekEach(Family family, byte[] from, Seeker seeker) {
    for (byte[] position = from; position != null; ) {
      Map.Entry<byte[], byte[]> e;
      synchronized (this) {
        ensureOpen();
        e = families.get(family).ceilingEntry(position);
      }
      if (e == null) {
        return;
      }
      position = seeker.next(e.getKey().clone(), e.getValue().clone());
    }
  }

  /** Column family ids as RocksDB would number them: the default family is 0. */
  private static final int[] FAMILY_IDS =
      Arrays.stream(Family.values()).mapToInt(f -> f.ordinal() + 1).toArray();

  @Override
  public Batch batch(int bytes) {
    return new Batch(FAMILY_IDS, new byte[0], bytes);
  }

  @Override
  public synchronized void write(Batch batch) {
    if (!batch.of(FAMILY_IDS)) {
      throw new IllegalArgumentException("a batch of another store");
    }
    ensureOpen();
    sequence++;
    for (Write w : batch.writes()) {
      NavigableMap<byte[], byte[]> map = families.get(w.family());
      switch (w) {
        case Write.Put p -> map.put(p.key().clone(), p.value().clone());
        case Write.Add a -> {
          // As RocksDB's uint64add: a value of another length counts as 0.
          byte[] v = map.get(a.key());
          long current = v != null && v.length == 8 ? Keys.decodeFixed(v) : 0;
          map.put(a.key().clone(), Keys.fixed(current + a.amount()));
        }
        case Write.Delete d -> map.remove(d.key());
        case Write.DeleteRange r -> map.subMap(r.from(), r.to()).clear();
      }
    }
  }

  @Override
  public boolean writable() {
    return true;
  }

  @Override
  public void checkpoint(Path dir) {
    throw new StoreException("an in-memory store has no files to checkpoint");
  }

  @Override
  public synchronized void close() {
    closed = true;
  }

  private void ensureOpen() {
    if (closed) {
      throw new StoreException("the in-memory store is closed");
    }
  }
}
