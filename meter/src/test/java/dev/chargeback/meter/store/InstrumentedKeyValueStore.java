package dev.chargeback.meter.store;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link KeyValueStore} that counts the entries read, records the size of each batch written, and
 * throws an {@code Error} once, when armed: the worst moment for the writer, since the batch has
 * landed but the writer never hears so.
 */
public final class InstrumentedKeyValueStore implements KeyValueStore {
  private final KeyValueStore delegate;
  private final AtomicReference<Error> armed = new AtomicReference<>();

  /** Entries read (gets that found something, and entries scans visited). */
  public final AtomicLong reads = new AtomicLong();

  /** The size of every batch written, in order. */
  public final List<Integer> batches = new CopyOnWriteArrayList<>();

  /** The range deletes written. */
  public final AtomicLong rangeDeletes = new AtomicLong();

  public InstrumentedKeyValueStore(KeyValueStore delegate) {
    this.delegate = delegate;
  }

  /** The next write lands, then throws {@code error}. */
  public void failNextWriteAfterItLands(Error error) {
    armed.set(error);
  }

  /** Whether the armed failure has struck. */
  public boolean struck() {
    return armed.get() == null;
  }

  @Override
  public Batch batch(int bytes) {
    return delegate.batch(bytes);
  }

  @Override
  public void write(Batch batch) {
    delegate.write(batch);
    batches.add(batch.count());
    rangeDeletes.addAndGet(
        batch.writes().stream().filter(w -> w instanceof Write.DeleteRange).count());
    Error error = armed.getAndSet(null);
    if (error != null) {
      throw error;
    }
  }

  @Override
  public byte[] get(Family family, byte[] key) {
    byte[] v = delegate.get(family, key);
    if (v != null) {
      reads.incrementAndGet();
    }
    return v;
  }

  @Override
  public void scan(Family family, byte[] from, byte[] to, Visitor visitor) {
    delegate.scan(
        family,
        from,
        to,
        (k, v) -> {
          reads.incrementAndGet();
          return visitor.visit(k, v);
        });
  }

  @Override
  public void seekEach(Family family, byte[] from, Seeker seeker) {
    delegate.seekEach(
        family,
        from,
        (k, v) -> {
          reads.incrementAndGet();
          return seeker.next(k, v);
        });
  }

  @Override
  public void scanRanges(Family family, List<byte[][]> ranges, RangeVisitor visitor) {
    delegate.scanRanges(
        family,
        ranges,
        (r, k, v) -> {
          reads.incrementAndGet();
          return visitor.visit(r, k, v);
        });
  }

  @Override
  public long sequence() {
    return delegate.sequence();
  }

  @Override
  public boolean writable() {
    return delegate.writable();
  }

  @Override
  public void checkpoint(Path dir) {
    delegate.checkpoint(dir);
  }

  @Override
  public void close() {
    delegate.close();
  }
}
