package dev.chargeback.exporter.metrics;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * Counter and gauge families written straight to bytes, in the Prometheus text format 0.0.4 or in
 * OpenMetrics 1.0, exactly as the client library's writers would write them. The billing metrics
 * have one series per namespace and resource: at 10,000 namespaces building the client's snapshots
 * (each sorting and validating its label sets) and writing them through its character writer took
 * 300 ms a scrape, where label sets encoded once and kept take a few.
 */
public final class Exposition {
  private Exposition() {}

  /**
   * A counter or gauge family.
   *
   * @param name without {@code _total} for a counter
   * @param decimals the values are amounts of a quantum of this many decimal places (a millionth of
   *     the currency: 6), written as such decimals, exactly and cheaply; -1 for any double, written
   *     as the shortest text that reads back as it (as the client's writers do; most of a scrape's
   *     time at 10,000 namespaces)
   */
  public record Family(String name, String help, boolean counter, int decimals, Series series) {
    public Family {
      if (decimals < -1 || decimals > 9) {
        throw new IllegalArgumentException("decimals " + decimals + " not in -1..9");
      }
    }

    public Family(String name, String help, boolean counter, int decimals, List<Point> points) {
      this(name, help, counter, decimals, Series.of(points));
    }

    /** A family of any doubles. */
    public Family(String name, String help, boolean counter, List<Point> points) {
      this(name, help, counter, -1, points);
    }

    /** The series one by one. */
    public List<Point> points() {
      List<Point> points = new ArrayList<>(series.size);
      for (int i = 0; i < series.size; i++) {
        points.add(new Point(series.labels[i], series.values[i]));
      }
      return points;
    }
  }

  /** One series of a family: its label set and value. */
  public record Point(LabelSet labels, double value) {}

  /**
   * A family's series as two columns, label sets and values: at 10,000 namespaces a scrape writes
   * 190,000 series, and an object for each was a fifth of what it allocated.
   */
  public static final class Series {
    private LabelSet[] labels;
    private double[] values;
    private int size;

    public Series(int capacity) {
      labels = new LabelSet[Math.max(capacity, 4)];
      values = new double[labels.length];
    }

    static Series of(List<Point> points) {
      Series s = new Series(points.size());
      points.forEach(p -> s.add(p.labels(), p.value()));
      return s;
    }

    public Series add(LabelSet set, double value) {
      if (size == labels.length) {
        labels = Arrays.copyOf(labels, size * 2);
        values = Arrays.copyOf(values, size * 2);
      }
      labels[size] = set;
      values[size++] = value;
      return this;
    }

    public int size() {
      return size;
    }
  }

  /** A label set, escaped and encoded once: {@code {a="x",b="y"}}, or nothing when empty. */
  public static final class LabelSet {
    private final String[] pairs;
    private final byte[] text;

    private LabelSet(String[] pairs) {
      this.pairs = pairs;
      StringBuilder s = new StringBuilder();
      for (int i = 0; i < pairs.length; i += 2) {
        s.append(i == 0 ? '{' : ',').append(pairs[i]).append("=\"");
        escape(s, pairs[i + 1], true);
        s.append('"');
      }
      if (pairs.length > 0) {
        s.append('}');
      }
      this.text = s.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * @param namesAndValues name, value, name, value…, the names in the order they are written (the
     *     client's writers sort them by name)
     */
    public static LabelSet of(String... namesAndValues) {
      if (namesAndValues.length % 2 != 0) {
        throw new IllegalArgumentException("names and values come in pairs");
      }
      return new LabelSet(namesAndValues.clone());
    }

    /** The value of label {@code name}, or null. */
    public String get(String name) {
      for (int i = 0; i < pairs.length; i += 2) {
        if (pairs[i].equals(name)) {
          return pairs[i + 1];
        }
      }
      return null;
    }
  }

  /** Pages of at least this many series are written (and compressed) in two halves at once. */
  private static final int HALVES_FROM = 20_000;

  /**
   * {@code families} then {@code tail}, as one array of exactly their size, or that compressed as
   * one gzip member at the fastest level (a 16 MB page at 10,000 namespaces: 78 ms, where the web
   * server's default level took 185 for 15% less). A large page is written as two halves at once,
   * each its series' lines in order, and compressed the same way: the first half's deflate stream
   * ends at a byte boundary without ending the stream (a sync flush), and the second's blocks
   * follow it, as pigz does, so any gzip reader reads one member.
   *
   * @param gzip whether to compress
   */
  public static byte[] render(
      List<Family> families, boolean openMetrics, byte[] tail, boolean gzip) {
    int series = 0;
    for (Family f : families) {
      series += f.series().size();
    }
    int count = series < HALVES_FROM ? 1 : 2;
    Part[] parts = new Part[count];
    for (int i = 0; i < count; i++) {
      parts[i] =
          new Part(
              families,
              openMetrics,
              (int) ((long) series * i / count),
              (int) ((long) series * (i + 1) / count),
              i == count - 1 ? tail : null,
              gzip);
    }
    // The second half on a virtual thread of its own, as the store reads its totals' halves.
    CompletableFuture<Void> second =
        count == 1
            ? null
            : CompletableFuture.runAsync(
                parts[1], task -> Thread.ofVirtual().name("exposition").start(task));
    parts[0].run();
    if (second != null) {
      try {
        second.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    long size = gzip ? GZIP_HEADER.length + 8 : 0;
    for (Part part : parts) {
      size += part.out().n;
    }
    if (size > Integer.MAX_VALUE - 16) {
      throw new IllegalStateException("the metrics page would be over 2 GB");
    }
    byte[] page = new byte[(int) size];
    int at = 0;
    if (gzip) {
      System.arraycopy(GZIP_HEADER, 0, page, 0, GZIP_HEADER.length);
      at = GZIP_HEADER.length;
    }
    CRC32 crc = new CRC32();
    long plain = 0;
    for (Part part : parts) {
      System.arraycopy(part.out().buf, 0, page, at, part.out().n);
      at += part.out().n;
      if (gzip) {
        crc.update(part.sink.buf, 0, part.sink.n);
        plain += part.sink.n;
      }
    }
    if (gzip) {
      ByteBuffer.wrap(page, at, 8)
          .order(ByteOrder.LITTLE_ENDIAN)
          .putInt((int) crc.getValue())
          .putInt((int) plain);
    }
    return page;
  }

  /** A gzip member's header: deflate, no name, no time, unknown system. */
  private static final byte[] GZIP_HEADER = {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff};

  /** A family's HELP and TYPE lines. */
  private static byte[] header(Family f, boolean openMetrics) {
    String series = f.counter() ? f.name() + "_total" : f.name();
    String type = f.counter() ? " counter\n" : " gauge\n";
    StringBuilder s = new StringBuilder();
    if (openMetrics) {
      s.append("# TYPE ").append(f.name()).append(type);
      s.append("# HELP ").append(f.name()).append(' ');
    } else {
      s.append("# HELP ").append(series).append(' ');
    }
    escape(s, f.help(), openMetrics);
    s.append('\n');
    if (!openMetrics) {
      s.append("# TYPE ").append(series).append(type);
    }
    return s.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * The series [from, to) of all families counted one after another, each family's HELP and TYPE
   * before its first series; then {@code tail}, if any (the last part); compressed, if asked.
   */
  private static final class Part implements Runnable {
    private final List<Family> families;
    private final boolean openMetrics;
    private final int from;
    private final int to;
    private final byte[] tail;
    private final boolean gzip;
    private final Sink sink;
    private Sink compressed;

    Part(List<Family> families, boolean openMetrics, int from, int to, byte[] tail, boolean gzip) {
      this.families = families;
      this.openMetrics = openMetrics;
      this.from = from;
      this.to = to;
      this.tail = tail;
      this.gzip = gzip;
      this.sink = new Sink((to - from) * 96 + 4096 + (tail == null ? 0 : tail.length));
    }

    /** What this part adds to the page. */
    Sink out() {
      return gzip ? compressed : sink;
    }

    @Override
    public void run() {
      write();
      if (gzip) {
        compress();
      }
    }

    private void write() {
      int first = 0; // the first series' number of the family
      for (Family family : families) {
        Series s = family.series();
        int start = Math.max(from, first);
        int end = Math.min(to, first + s.size);
        if (start < end) {
          if (start == first) {
            sink.bytes(header(family, openMetrics));
          }
          byte[] name =
              (family.counter() ? family.name() + "_total" : family.name())
                  .getBytes(StandardCharsets.US_ASCII);
          for (int i = start - first; i < end - first; i++) {
            sink.bytes(name).bytes(s.labels[i].text).space();
            if (family.decimals() < 0) {
              sink.number(s.values[i]);
            } else {
              sink.fixed(s.values[i], family.decimals());
            }
            sink.newline();
          }
        }
        first += s.size;
      }
      if (tail != null) {
        sink.bytes(tail);
      }
    }

    /**
     * A raw deflate stream of this part: ended if it is the last (the one with the tail), else
     * flushed to a byte boundary.
     */
    private void compress() {
      boolean last = tail != null;
      Deflater deflater = new Deflater(Deflater.BEST_SPEED, true);
      try {
        deflater.setInput(sink.buf, 0, sink.n);
        if (last) {
          deflater.finish();
        }
        int flush = last ? Deflater.NO_FLUSH : Deflater.SYNC_FLUSH;
        compressed = new Sink(sink.n / 6 + 64);
        while (true) {
          compressed.room(64 * 1024);
          Sink c = compressed;
          int written = deflater.deflate(c.buf, c.n, c.buf.length - c.n, flush);
          c.n += written;
          // Done when the stream ended, or a flush left room unused (all of it is out).
          if (deflater.finished() || (flush == Deflater.SYNC_FLUSH && c.n < c.buf.length)) {
            break;
          }
        }
      } finally {
        deflater.end();
      }
    }
  }

  /**
   * Escapes as both formats do: backslash and newline always, double quotes in label values and in
   * OpenMetrics' HELP.
   */
  private static void escape(StringBuilder s, String value, boolean quotes) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> s.append("\\\\");
        case '\n' -> s.append("\\n");
        case '"' -> s.append(quotes ? "\\\"" : "\"");
        default -> s.append(c);
      }
    }
  }

  /** A growing buffer: no lock or encoder per call. */
  private static final class Sink {
    private byte[] buf;
    private int n;

    Sink(int capacity) {
      buf = new byte[capacity];
    }

    /** Room for {@code more} bytes. */
    private void room(int more) {
      if (more > buf.length - n) {
        long grown = Math.max((long) buf.length * 2, (long) n + more);
        if (grown > Integer.MAX_VALUE - 16) {
          throw new IllegalStateException("the metrics page would be over 2 GB");
        }
        buf = Arrays.copyOf(buf, (int) grown);
      }
    }

    Sink bytes(byte[] b) {
      room(b.length);
      System.arraycopy(b, 0, buf, n, b.length);
      n += b.length;
      return this;
    }

    void space() {
      room(1);
      buf[n++] = ' ';
    }

    private double lastNumber = Double.NaN;
    private byte[] lastText = {'N', 'a', 'N'};

    /** The shortest text that reads back as {@code v}; a value repeated is formatted once. */
    void number(double v) {
      if (Double.doubleToRawLongBits(v) != Double.doubleToRawLongBits(lastNumber)) {
        lastNumber = v;
        lastText =
            (v == Double.POSITIVE_INFINITY
                    ? "+Inf"
                    : v == Double.NEGATIVE_INFINITY ? "-Inf" : Double.toString(v))
                .getBytes(StandardCharsets.US_ASCII);
      }
      bytes(lastText);
    }

    private static final long[] POWERS = new long[10];

    static {
      POWERS[0] = 1;
      for (int i = 1; i < POWERS.length; i++) {
        POWERS[i] = POWERS[i - 1] * 10;
      }
    }

    /**
     * {@code v} rounded to {@code decimals} places, without trailing zeros: for an amount of whole
     * quanta the exact decimal, which reads back as the same double. Beyond 2^50 quanta of a
     * fraction, {@link #number}.
     */
    void fixed(double v, int decimals) {
      double scaled = v * POWERS[decimals];
      // Below 2^50 quanta a fraction's double times 10^d is within a quarter of a quantum of the
      // whole number it stands for (35,000 core-years, 1.1 billion of the currency); whole numbers
      // are exact up to the long's range.
      if (!(Math.abs(scaled) < (decimals == 0 ? 9e18 : 0x1p50))) {
        number(v);
        return;
      }
      long quanta = Math.round(scaled);
      room(42);
      if (quanta < 0) {
        buf[n++] = '-';
        quanta = -quanta;
      }
      long whole = quanta / POWERS[decimals];
      long fraction = quanta % POWERS[decimals];
      digits(whole, 0);
      if (fraction != 0) {
        int places = decimals;
        while (fraction % 10 == 0) {
          fraction /= 10;
          places--;
        }
        buf[n++] = '.';
        digits(fraction, places);
      }
    }

    /** "00" to "99". */
    private static final byte[] PAIRS = new byte[200];

    static {
      for (int i = 0; i < 100; i++) {
        PAIRS[2 * i] = (byte) ('0' + i / 10);
        PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
      }
    }

    /**
     * {@code value} ≥ 0 in at least {@code width} digits, zero-padded: written from its last digit
     * back, two at a time, in int arithmetic once it fits.
     */
    private void digits(long value, int width) {
      int length = Math.max(width, length(value));
      int end = n + length;
      int at = end;
      while (value >= Integer.MAX_VALUE) {
        int pair = (int) (value % 100);
        value /= 100;
        buf[--at] = PAIRS[2 * pair + 1];
        buf[--at] = PAIRS[2 * pair];
      }
      int v = (int) value;
      while (v >= 100) {
        int pair = v % 100;
        v /= 100;
        buf[--at] = PAIRS[2 * pair + 1];
        buf[--at] = PAIRS[2 * pair];
      }
      if (v >= 10) {
        buf[--at] = PAIRS[2 * v + 1];
        buf[--at] = PAIRS[2 * v];
      } else {
        buf[--at] = (byte) ('0' + v);
      }
      while (at > n) {
        buf[--at] = '0';
      }
      n = end;
    }

    private static int length(long value) {
      int length = 1;
      for (long bound = 10; length < 19 && value >= bound; bound *= 10) {
        length++;
      }
      return length;
    }

    void newline() {
      room(1);
      buf[n++] = '\n';
    }
  }
}
