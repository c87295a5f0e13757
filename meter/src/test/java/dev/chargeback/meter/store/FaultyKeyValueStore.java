package dev.chargeback.meter.store;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link KeyValueStore} that throws an {@code Error} once, when armed: the worst moment for the
 * writer, since the batch has landed but the writer never hears so.
 */
public final class FaultyKeyValueStore implements KeyValueStore {
  private final KeyValueStore delegate;
  private final AtomicReference<Error> armed = new AtomicReference<>();

  public FaultyKeyValueStore(KeyValueStore delegate) {
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
  public void write(List<Write> writes) {
    delegate.write(writes);
    Error error = armed.getAndSet(null);
    if (error != null) {
      throw error;
    }
  }

  @Override
  public byte[] get(Family family, byte[] key) {
    return delegate.get(family, key);
  }

  @Override
  public void scan(Family family, byte[] from, byte[] to, Visitor visitor) {
    delegate.scan(family, from, to, visitor);
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
