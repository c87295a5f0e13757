package dev.chargeback.meter.exposition;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads Prometheus text format 0.0.4 and OpenMetrics 1.0 from bytes, one line at a time, in a
 * buffer bounded by {@link ParserLimits#maxLineBytes()}. Thread-safe: each call keeps its own
 * state.
 *
 * <pre>{@code
 * var parser = new ExpositionParser(ParserLimits.DEFAULT);
 * parser.parse(body, Format.TEXT, sample -> System.out.println(sample));
 * }</pre>
 */
public final class ExpositionParser {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;

  private final ParserLimits limits;

  public ExpositionParser(ParserLimits limits) {
    this.limits = limits;
  }

  /**
   * Parses the whole stream into {@code sink}.
   *
   * @return the number of lines read
   * @throws ExpositionException on the first malformed line or exceeded limit
   */
  public long parse(InputStream in, Format format, SampleSink sink)
      throws IOException, ExpositionException {
    return new Run(format, sink).readAll(in);
  }

  /** Parses a body held in memory. */
  public long parse(byte[] body, Format format, SampleSink sink) throws ExpositionException {
    try {
      return parse(new ByteArrayInputStream(body), format, sink);
    } catch (IOException e) {
      throw new IllegalStateException("reading a byte array cannot fail", e);
    }
  }

  /** The state of one parse. */
  private final class Run {
    private final Format format;
    private final SampleSink sink;
    private final String[] pairs = new String[2 * limits.maxLabels()];
    private byte[] scratch = new byte[256];
    private long line;
    private boolean eof;

    // The metric name of the last sample line read by sampleName(), and whether the sink wants it.
    private byte[] lastName = new byte[0];
    private String lastNameText;
    private boolean lastWanted;

    // The line being parsed: buf[pos, end).
    private byte[] buf;
    private int pos;
    private int end;

    Run(Format format, SampleSink sink) {
      this.format = format;
      this.sink = sink;
    }

    long readAll(InputStream in) throws IOException, ExpositionException {
      int max = limits.maxLineBytes();
      byte[] data = new byte[Math.max(8192, Math.min(max + 1, 1 << 16))];
      int start = 0;
      int filled = 0;
      int scan = 0;
      long total = 0;
      boolean drained = false;
      while (true) {
        int nl = indexOfNewline(data, scan, filled);
        if (nl >= 0) {
          line++;
          if (nl - start > max) {
            throw error("line longer than " + max + " bytes");
          }
          parseLine(data, start, nl);
          start = nl + 1;
          scan = start;
          continue;
        }
        if (filled - start > max) {
          line++;
          throw error("line longer than " + max + " bytes");
        }
        if (drained) {
          if (start < filled) {
            line++;
            parseLine(data, start, filled);
          }
          break;
        }
        if (start > 0) {
          System.arraycopy(data, start, data, 0, filled - start);
          filled -= start;
          start = 0;
        }
        if (filled == data.length) {
          data = Arrays.copyOf(data, Math.min(data.length * 2, max + 1));
        }
        scan = filled;
        int n = in.read(data, filled, data.length - filled);
        if (n < 0) {
          drained = true;
        } else {
          total += n;
          if (total > limits.maxBodyBytes()) {
            throw new ExpositionException(
                0, "body larger than " + limits.maxBodyBytes() + " bytes");
          }
          filled += n;
        }
      }
      if (format == Format.OPENMETRICS && !eof) {
        throw new ExpositionException(line, "missing # EOF: the body is truncated");
      }
      return line;
    }

    /**
     * The first '\n' in {@code data[from, to)}, or -1: eight bytes at a time (a kubelet's body is
     * half a megabyte, and most of its lines are skipped: finding their ends was most of a parse).
     */
    private static int indexOfNewline(byte[] data, int from, int to) {
      int i = from;
      for (; i + 8 <= to; i += 8) {
        long word = (long) LONGS.get(data, i) ^ NEWLINES;
        // Standard zero-byte test: the lowest 0x80 bit set marks the first byte equal to '\n'.
        long found = (word - 0x0101010101010101L) & ~word & 0x8080808080808080L;
        if (found != 0) {
          return i + (Long.numberOfTrailingZeros(found) >>> 3);
        }
      }
      for (; i < to; i++) {
        if (data[i] == '\n') {
          return i;
        }
      }
      return -1;
    }

    private ExpositionException error(String message) {
      return new ExpositionException(line, message);
    }

    private void parseLine(byte[] data, int from, int to) throws ExpositionException {
      if (eof) {
        throw error("content after # EOF");
      }
      if (to > from && data[to - 1] == '\r') {
        to--;
      }
      buf = data;
      pos = from;
      end = to;
      if (format == Format.TEXT) {
        skipBlanks();
        if (pos == end) {
          return;
        }
      } else if (pos == end) {
        throw error("empty line");
      }
      if (buf[pos] == '#') {
        comment();
      } else {
        sample();
      }
    }

    private void comment() throws ExpositionException {
      pos++;
      if (pos == end || buf[pos] != ' ') {
        if (format == Format.OPENMETRICS) {
          throw error("expected '# ' comment");
        }
        return;
      }
      skipBlanks();
      String keyword = word();
      switch (keyword) {
        case "TYPE" -> {
          String name = metricNameAfterBlanks();
          skipBlanks();
          String word = word();
          MetricType type = MetricType.parse(word);
          if (type == null) {
            throw error("unknown metric type '" + word + "' for " + name);
          }
          sink.type(name, type);
        }
        case "HELP", "UNIT" -> metricNameAfterBlanks();
        case "EOF" -> {
          if (format == Format.OPENMETRICS) {
            eof = true;
          }
        }
        default -> {
          if (format == Format.OPENMETRICS) {
            throw error("unknown comment '# " + keyword + "'");
          }
        }
      }
    }

    private String metricNameAfterBlanks() throws ExpositionException {
      if (!skipBlanks()) {
        throw error("expected a metric name");
      }
      return metricName();
    }

    private String word() {
      int start = pos;
      while (pos < end && buf[pos] != ' ' && buf[pos] != '\t') {
        pos++;
      }
      return ascii(start, pos);
    }

    private void sample() throws ExpositionException {
      String name = null;
      boolean blank = false;
      if (buf[pos] != '{') {
        name = sampleName();
        if (!lastWanted) {
          return;
        }
        blank = skipBlanks();
      }
      int count = 0;
      if (pos < end && buf[pos] == '{') {
        pos++;
        while (true) {
          skipBlanks();
          if (pos == end) {
            throw error("unterminated label set");
          }
          if (buf[pos] == '}') {
            pos++;
            break;
          }
          String labelName;
          if (buf[pos] == '"') {
            labelName = quoted();
            skipBlanks();
            if (pos < end && buf[pos] != '=') {
              if (name != null) {
                throw error("metric name given twice");
              }
              name = labelName;
              if (!sink.wants(name)) {
                return;
              }
              separator();
              continue;
            }
          } else {
            labelName = labelName();
          }
          skipBlanks();
          expect('=');
          skipBlanks();
          if (pos == end || buf[pos] != '"') {
            throw error("expected '\"' to open the value of label " + labelName);
          }
          String value = quoted();
          if (count == limits.maxLabels()) {
            throw error("more than " + limits.maxLabels() + " labels");
          }
          pairs[2 * count] = labelName;
          pairs[2 * count + 1] = value;
          count++;
          separator();
        }
        blank = skipBlanks();
      }
      if (name == null) {
        throw error("sample without a metric name");
      }
      if (!blank) {
        throw error("expected a space and a value after " + name);
      }
      double value = number();
      long timestamp = Sample.NO_TIMESTAMP;
      if (skipBlanks() && pos < end) {
        if (buf[pos] != '#') {
          timestamp = timestamp();
          skipBlanks();
        }
        if (pos < end && buf[pos] != '#') {
          throw error("unexpected text after the sample");
        }
        // An OpenMetrics exemplar ("# {…} v") may follow; it is not usage.
      }
      String[] sorted = Arrays.copyOf(pairs, 2 * count);
      String duplicate = Labels.sortPairs(sorted, count);
      if (duplicate != null) {
        throw error("duplicate label " + duplicate);
      }
      sink.sample(new Sample(name, Labels.ofSorted(sorted), value, timestamp));
    }

    private void separator() throws ExpositionException {
      skipBlanks();
      if (pos == end) {
        throw error("unterminated label set");
      }
      if (buf[pos] == ',') {
        pos++;
      } else if (buf[pos] != '}') {
        throw error("expected ',' or '}' in label set");
      }
    }

    private void expect(char c) throws ExpositionException {
      if (pos == end || buf[pos] != c) {
        throw error("expected '" + c + "'");
      }
      pos++;
    }

    /** Skips spaces and tabs; true when at least one was skipped. */
    private boolean skipBlanks() {
      int start = pos;
      while (pos < end && (buf[pos] == ' ' || buf[pos] == '\t')) {
        pos++;
      }
      return pos > start;
    }

    /**
     * The metric name of a sample line, and whether the sink wants it ({@link #lastWanted}). A
     * family's lines are neighbours: most lines name the metric of the line before, and then
     * neither a string nor the sink's answer is made again.
     */
    private String sampleName() throws ExpositionException {
      int start = pos;
      skipName(true);
      if (!Arrays.equals(buf, start, pos, lastName, 0, lastName.length)) {
        lastName = Arrays.copyOfRange(buf, start, pos);
        lastNameText = ascii(start, pos);
        lastWanted = sink.wants(lastNameText);
      }
      return lastNameText;
    }

    private String metricName() throws ExpositionException {
      int start = pos;
      skipName(true);
      return ascii(start, pos);
    }

    private String labelName() throws ExpositionException {
      int start = pos;
      skipName(false);
      return ascii(start, pos);
    }

    /** Moves past a metric name ({@code colon}: colons allowed) or a label name. */
    private void skipName(boolean colon) throws ExpositionException {
      int start = pos;
      while (pos < end && isNameChar(buf[pos], pos == start, colon)) {
        pos++;
      }
      if (pos == start) {
        throw error(colon ? "expected a metric name" : "expected a label name");
      }
    }

    private static boolean isNameChar(byte b, boolean first, boolean colon) {
      return (b >= 'a' && b <= 'z')
          || (b >= 'A' && b <= 'Z')
          || b == '_'
          || (colon && b == ':')
          || (!first && b >= '0' && b <= '9');
    }

    /** A double-quoted string with \\, \" and \n escapes, decoded as UTF-8. */
    private String quoted() throws ExpositionException {
      pos++;
      int start = pos;
      boolean plain = true;
      while (pos < end && buf[pos] != '"') {
        byte b = buf[pos];
        if (b == '\\') {
          plain = false;
          pos += 2;
          continue;
        }
        if (b < 0) {
          plain = false;
        }
        pos++;
      }
      if (pos >= end) {
        throw error("unterminated quoted string");
      }
      int stop = pos;
      pos++;
      if (plain) {
        return ascii(start, stop);
      }
      if (scratch.length < stop - start) {
        scratch = new byte[stop - start];
      }
      int n = 0;
      for (int i = start; i < stop; i++) {
        byte b = buf[i];
        if (b == '\\') {
          byte next = buf[++i];
          scratch[n++] =
              switch (next) {
                case '\\' -> '\\';
                case '"' -> '"';
                case 'n' -> '\n';
                default -> throw error("invalid escape '\\" + (char) next + "' in a quoted string");
              };
        } else {
          scratch[n++] = b;
        }
      }
      return new String(scratch, 0, n, StandardCharsets.UTF_8);
    }

    private String token() {
      int start = pos;
      while (pos < end && buf[pos] != ' ' && buf[pos] != '\t') {
        pos++;
      }
      return ascii(start, pos);
    }

    private double number() throws ExpositionException {
      int start = pos;
      double fast = Numbers.parseSimple(buf, start, tokenEnd());
      if (!Double.isNaN(fast) || Numbers.isNaN(buf, start, pos)) {
        return fast;
      }
      pos = start;
      String text = token();
      double value = Numbers.parseFull(text);
      if (Double.isNaN(value) && !text.equals("NaN")) {
        throw error("invalid value '" + text + "'");
      }
      return value;
    }

    private int tokenEnd() {
      while (pos < end && buf[pos] != ' ' && buf[pos] != '\t') {
        pos++;
      }
      return pos;
    }

    private long timestamp() throws ExpositionException {
      String text = token();
      if (format == Format.TEXT) {
        try {
          return Long.parseLong(text);
        } catch (NumberFormatException e) {
          throw error("invalid timestamp '" + text + "' (expected integer milliseconds)");
        }
      }
      double seconds = Numbers.parseFull(text);
      if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
        throw error("invalid timestamp '" + text + "' (expected seconds)");
      }
      return Math.round(seconds * 1000.0);
    }

    private String ascii(int from, int to) {
      return new String(buf, from, to - from, StandardCharsets.ISO_8859_1);
    }
  }
}
