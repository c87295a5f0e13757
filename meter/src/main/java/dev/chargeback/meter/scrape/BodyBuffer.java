package dev.chargeback.meter.scrape;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A response body that the JDK client receives ahead of its reader, up to {@link #WINDOW} of the
 * client's reads (16 KiB each by default: 4 MiB). Reading waits until the body is whole or fills
 * the window, for at most {@link #PATIENCE_NANOS}; then it streams. A kubelet's body (about 0.5 MB)
 * is thus received in one go and parsed in one go. The client's own {@code ofInputStream} hands
 * over one read at a time, pausing the socket until the reader took it and waking the reader for
 * each: at 200 kubelets those hand-overs cost the meter more CPU than parsing the bodies (1.58
 * against 1.42 CPU s a round). Closing it (the scraper's deadline) cancels the exchange and wakes a
 * waiting reader.
 */
final class BodyBuffer extends InputStream implements HttpResponse.BodySubscriber<InputStream> {
  /** Reads of the client received ahead of the reader. */
  static final int WINDOW = 256;

  /** How long the reader waits for the body to be whole or fill the window before it streams. */
  static final long PATIENCE_NANOS = 100_000_000;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition arrived = lock.newCondition();
  private final ArrayDeque<List<ByteBuffer>> received = new ArrayDeque<>();
  private Flow.Subscription subscription;
  private boolean complete;
  private boolean closed;
  private Throwable failure;
  private boolean streaming;
  private long patience;

  // The reader's own: the read being consumed.
  private List<ByteBuffer> current = List.of();
  private int index;

  @Override
  public void onSubscribe(Flow.Subscription s) {
    lock.lock();
    try {
      subscription = s;
      if (closed) {
        s.cancel();
        return;
      }
    } finally {
      lock.unlock();
    }
    s.request(WINDOW);
  }

  @Override
  public void onNext(List<ByteBuffer> buffers) {
    lock.lock();
    try {
      if (!closed) {
        received.add(buffers);
        // A waiting reader is woken when there is something for it, not at every read.
        if (streaming || received.size() >= WINDOW) {
          arrived.signalAll();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void onError(Throwable t) {
    end(t);
  }

  @Override
  public void onComplete() {
    end(null);
  }

  /** The body ended: whole, or with {@code failure}. */
  private void end(Throwable failure) {
    lock.lock();
    try {
      if (failure == null) {
        complete = true;
      } else {
        this.failure = failure;
      }
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The body is handed over at once: reading it waits as described above. */
  @Override
  public CompletionStage<InputStream> getBody() {
    return CompletableFuture.completedFuture(this);
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
  }

  @Override
  public int read(byte[] into, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    while (true) {
      while (index < current.size()) {
        ByteBuffer b = current.get(index);
        if (b.hasRemaining()) {
          int n = Math.min(len, b.remaining());
          b.get(into, off, n);
          return n;
        }
        index++;
      }
      if (!next()) {
        return -1;
      }
    }
  }

  /** Takes the next read of the client; false at the end of the body. */
  private boolean next() throws IOException {
    Flow.Subscription more;
    lock.lock();
    try {
      while (true) {
        if (closed) {
          throw new IOException("the body was closed");
        }
        if (failure != null) {
          throw failure instanceof IOException io ? io : new IOException(failure);
        }
        if (!received.isEmpty() && (streaming || complete || received.size() >= WINDOW)) {
          break;
        }
        if (complete) {
          return false;
        }
        if (streaming) {
          arrived.await();
          continue;
        }
        if (patience == 0) {
          patience = System.nanoTime() + PATIENCE_NANOS;
        }
        long left = patience - System.nanoTime();
        if (left <= 0) {
          streaming = true; // a slow or large body: read what has come, as it comes
        } else {
          arrived.awaitNanos(left);
        }
      }
      streaming = true;
      current = received.poll();
      index = 0;
      more = complete ? null : subscription;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while reading the body", e);
    } finally {
      lock.unlock();
    }
    if (more != null) {
      more.request(1);
    }
    return true;
  }

  /** Abandons the body: the exchange is cancelled and a waiting reader fails. */
  @Override
  public void close() {
    Flow.Subscription cancel;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      cancel = complete || failure != null ? null : subscription;
      received.clear();
      arrived.signalAll();
    } finally {
      lock.unlock();
    }
    if (cancel != null) {
      cancel.cancel();
    }
  }
}
