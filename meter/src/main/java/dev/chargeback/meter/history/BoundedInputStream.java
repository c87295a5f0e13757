package dev.chargeback.meter.history;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reads at most a bound of bytes; past it, {@link TooLong}. */
final class BoundedInputStream extends FilterInputStream {
  /** The stream went past its bound. */
  static final class TooLong extends IOException {
    private static final long serialVersionUID = 1L;

    TooLong(long bound) {
      super("more than " + bound + " bytes");
    }
  }

  private final long bound;
  private long read;

  BoundedInputStream(InputStream in, long bound) {
    super(in);
    this.bound = bound;
  }

  @Override
  public int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      count(1);
    }
    return b;
  }

  @Override
  public int read(byte[] buf, int off, int len) throws IOException {
    int n = super.read(buf, off, len);
    if (n > 0) {
      count(n);
    }
    return n;
  }

  private void count(long n) throws TooLong {
    read += n;
    if (read > bound) {
      throw new TooLong(bound);
    }
  }
}
