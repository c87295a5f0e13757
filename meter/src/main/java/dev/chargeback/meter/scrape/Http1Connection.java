package dev.chargeback.meter.scrape;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 connection to a target, over a blocking socket (TLS when asked): a request is
 * written, the response head read, and the body handed to the reader as it arrives, framed by its
 * length, its chunks or the connection's end. A connection whose body was read to its end and that
 * the server keeps open goes back to its owner for the next scrape; any other ends closed.
 */
final class Http1Connection {
  /** The response head (status line and headers) may take this many bytes. */
  static final int MAX_HEAD_BYTES = 64 * 1024;

  private static final int BUFFER_BYTES = 8192;

  final String key;
  private final Socket raw;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private long idleSince;

  // The exchange's own: bytes read ahead of the reader, buf[pos, lim).
  private byte[] buf;
  private int pos;
  private int lim;
  private long deadline;
  private long received;
  private boolean keepAlive;

  private Http1Connection(String key, Socket raw, Socket socket) throws IOException {
    this.key = key;
    this.raw = raw;
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
  }

  /**
   * Connects to {@code host:port}, with a TLS handshake when {@code tls} is given (the host name
   * checked against the certificate unless the trust manager says otherwise).
   *
   * @param host as a URI gives it (an IPv6 literal in brackets)
   */
  static Http1Connection open(
      String key, String host, int port, SSLSocketFactory tls, long connectMillis, long deadline)
      throws IOException {
    String name = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    Socket raw = new Socket();
    try {
      InetSocketAddress address = new InetSocketAddress(name, port);
      if (address.isUnresolved()) {
        throw new UnknownHostException("unknown host " + name);
      }
      raw.setTcpNoDelay(true);
      try {
        raw.connect(address, (int) Math.max(1, Math.min(connectMillis, millisLeft(deadline))));
      } catch (SocketTimeoutException e) {
        throw new HttpConnectTimeoutException("no connection within " + connectMillis + " ms");
      }
      if (tls == null) {
        return new Http1Connection(key, raw, raw);
      }
      SSLSocket ssl = (SSLSocket) tls.createSocket(raw, name, port, true);
      SSLParameters parameters = ssl.getSSLParameters();
      parameters.setEndpointIdentificationAlgorithm("HTTPS");
      parameters.setApplicationProtocols(new String[] {"http/1.1"});
      ssl.setSSLParameters(parameters);
      raw.setSoTimeout(timeoutMillis(deadline));
      try {
        ssl.startHandshake();
      } catch (SocketTimeoutException e) {
        throw new HttpTimeoutException("no TLS handshake in time");
      }
      return new Http1Connection(key, raw, ssl);
    } catch (IOException | RuntimeException e) {
      closeQuietly(raw);
      throw e;
    }
  }

  /**
   * Whether any byte of a response came: a kept-alive connection the server had closed has none.
   */
  boolean receivedAny() {
    return received > 0;
  }

  /** When it was last handed back, in {@link System#nanoTime()}. */
  long idleSince() {
    return idleSince;
  }

  /**
   * Sends {@code request} and reads the response head; the body is read through the response.
   * {@code done} gets this connection back when the body was read to its end and it can serve
   * another request.
   */
  Transport.Response exchange(byte[] request, long deadline, Consumer<Http1Connection> done)
      throws IOException {
    buf = new byte[BUFFER_BYTES];
    pos = 0;
    lim = 0;
    received = 0;
    this.deadline = deadline;
    raw.setSoTimeout(timeoutMillis(deadline));
    out.write(request);
    out.flush();
    Head head;
    do {
      head = readHead();
    } while (head.status >= 100 && head.status < 200 && head.status != 101);
    keepAlive = head.keepAlive();
    return new Answer(head, new Body(head, done));
  }

  private record Answer(Head head, InputStream body) implements Transport.Response {
    @Override
    public int status() {
      return head.status;
    }

    @Override
    public Optional<String> header(String name) {
      return Optional.ofNullable(head.headers.get(name));
    }
  }

  /** Marks the connection idle; false when it cannot serve another request. */
  boolean idle() {
    if (!keepAlive || pos < lim || socket.isClosed()) {
      return false;
    }
    buf = null;
    idleSince = System.nanoTime();
    return true;
  }

  /** Closes the socket at once (a reader blocked on it fails). */
  void close() {
    closeQuietly(raw);
    if (socket != raw) {
      closeQuietly(socket);
    }
  }

  /** A response's head; {@code length} is its Content-Length, -1 without one. */
  private record Head(int status, boolean http10, Map<String, String> headers, long length) {
    boolean keepAlive() {
      String connection = headers.getOrDefault("Connection", "").toLowerCase(Locale.ROOT);
      return !http10 && !connection.contains("close");
    }
  }

  private Head readHead() throws IOException {
    int[] budget = {MAX_HEAD_BYTES};
    String status = readLine(budget);
    // HTTP-version SP 3DIGIT [SP reason]
    if (status.length() < 12
        || !status.startsWith("HTTP/1.")
        || status.charAt(8) != ' '
        || (status.length() > 12 && status.charAt(12) != ' ')) {
      throw new IOException("malformed status line: " + printable(status));
    }
    int code = 0;
    for (int i = 9; i < 12; i++) {
      char c = status.charAt(i);
      if (c < '0' || c > '9') {
        throw new IOException("malformed status line: " + printable(status));
      }
      code = code * 10 + (c - '0');
    }
    Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    long length = -1;
    while (true) {
      String line = readLine(budget);
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      if (colon <= 0 || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
        throw new IOException("malformed response header: " + printable(line));
      }
      String name = line.substring(0, colon);
      String value = line.substring(colon + 1).strip();
      if (name.equalsIgnoreCase("Content-Length")) {
        long declared = parseLength(value);
        if (length >= 0 && length != declared) {
          throw new IOException("two different Content-Length headers");
        }
        length = declared;
      }
      headers.putIfAbsent(name, value);
    }
    return new Head(code, status.charAt(7) == '0', headers, length);
  }

  private static long parseLength(String value) throws IOException {
    if (value.isEmpty()
        || value.length() > 18
        || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
      throw new IOException("malformed Content-Length: " + printable(value));
    }
    return Long.parseLong(value);
  }

  /** A line of the head or of chunk framing, without its CRLF (or bare LF). */
  private String readLine(int[] budget) throws IOException {
    int start = pos;
    StringBuilder spilled = null;
    while (true) {
      for (int i = pos; i < lim; i++) {
        if (buf[i] == '\n') {
          budget[0] -= i + 1 - start;
          if (budget[0] < 0) {
            throw new IOException("response head larger than " + MAX_HEAD_BYTES + " bytes");
          }
          String part = new String(buf, start, i - start, StandardCharsets.ISO_8859_1);
          String line = spilled == null ? part : spilled.append(part).toString();
          pos = i + 1;
          return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        }
      }
      budget[0] -= lim - start;
      if (budget[0] < 0) {
        throw new IOException("response head larger than " + MAX_HEAD_BYTES + " bytes");
      }
      if (spilled == null) {
        spilled = new StringBuilder();
      }
      spilled.append(new String(buf, start, lim - start, StandardCharsets.ISO_8859_1));
      if (fill() < 0) {
        throw new EOFException(
            received == 0 ? "the connection was closed before a response" : "the response ended");
      }
      start = pos;
    }
  }

  /** Reads more into the empty buffer; -1 at the connection's end. */
  private int fill() throws IOException {
    pos = 0;
    lim = 0;
    int n = receive(buf, 0, buf.length);
    if (n > 0) {
      lim = n;
    }
    return n;
  }

  /** Reads body bytes: what is buffered first, then straight from the socket. */
  private int read(byte[] into, int off, int len) throws IOException {
    if (pos < lim) {
      int n = Math.min(len, lim - pos);
      System.arraycopy(buf, pos, into, off, n);
      pos += n;
      return n;
    }
    return receive(into, off, len);
  }

  /** One read of the socket, waiting no later than the exchange's deadline. */
  private int receive(byte[] into, int off, int len) throws IOException {
    raw.setSoTimeout(timeoutMillis(deadline));
    int n;
    try {
      n = in.read(into, off, len);
    } catch (SocketTimeoutException e) {
      throw new HttpTimeoutException("no response in time");
    }
    if (n > 0) {
      received += n;
    }
    return n;
  }

  private static int timeoutMillis(long deadline) throws HttpTimeoutException {
    long left = millisLeft(deadline);
    if (left <= 0) {
      throw new HttpTimeoutException("no response in time");
    }
    return (int) Math.min(Integer.MAX_VALUE, left);
  }

  /** Milliseconds to the deadline, rounded up: a wait ends at the deadline, not before it. */
  private static long millisLeft(long deadline) {
    long nanos = deadline - System.nanoTime();
    return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
  }

  /** A line from a server, shortened and with control characters shown as '?', for an error. */
  private static String printable(String line) {
    String shown = line.length() > 80 ? line.substring(0, 80) + "…" : line;
    return shown.replaceAll("[\\p{Cntrl}]", "?");
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // Closing a connection that failed: nothing more to do.
    }
  }

  /**
   * A response body, framed as its head says. Reaching its end hands the connection back; closing
   * it before (the reader gave up, or the scraper's deadline, from another thread) closes the
   * connection, which fails a read blocked on it.
   */
  private final class Body extends InputStream {
    private static final long UNTIL_CLOSE = -1;
    private static final long CHUNKED = -2;

    private static final int OPEN = 0;
    private static final int ENDED = 1;
    private static final int CLOSED = 2;

    private final AtomicInteger state = new AtomicInteger(OPEN);
    private final Consumer<Http1Connection> done;
    private final long length;
    private long left;
    private boolean chunkSeen;

    Body(Head head, Consumer<Http1Connection> done) {
      this.done = done;
      String encoding = head.headers.get("Transfer-Encoding");
      if (head.status == 204 || head.status == 304) {
        length = 0;
      } else if (encoding != null) {
        // The last coding frames the body; any other leaves only the connection's end (RFC 9112).
        boolean chunked = encoding.toLowerCase(Locale.ROOT).strip().endsWith("chunked");
        length = chunked ? CHUNKED : UNTIL_CLOSE;
        keepAlive &= chunked && head.length < 0;
      } else if (head.length >= 0) {
        length = head.length;
      } else {
        length = UNTIL_CLOSE;
        keepAlive = false;
      }
      left = Math.max(0, length);
      if (length == 0) {
        end();
      }
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
      int state = this.state.get();
      if (state == ENDED) {
        return -1;
      }
      if (state == CLOSED) {
        throw new IOException("the body was closed");
      }
      if (length == CHUNKED && left == 0 && !nextChunk()) {
        end();
        return -1;
      }
      int n = Http1Connection.this.read(into, off, length == UNTIL_CLOSE ? len : cap(len));
      if (n < 0) {
        if (length == UNTIL_CLOSE) {
          end();
          return -1;
        }
        throw new EOFException("the body ended early");
      }
      if (length != UNTIL_CLOSE) {
        left -= n;
        if (left == 0 && length >= 0) {
          end();
        }
      }
      return n;
    }

    private int cap(int len) {
      return (int) Math.min(len, left);
    }

    /** Reads a chunk's size line (after the previous chunk's CRLF); false at the last chunk. */
    private boolean nextChunk() throws IOException {
      int[] budget = {MAX_HEAD_BYTES};
      if (chunkSeen && !readLine(budget).isEmpty()) {
        throw new IOException("malformed chunked body: no CRLF after a chunk");
      }
      chunkSeen = true;
      String line = readLine(budget);
      int semicolon = line.indexOf(';');
      String size = (semicolon < 0 ? line : line.substring(0, semicolon)).strip();
      if (size.isEmpty() || size.length() > 15 || !size.chars().allMatch(Body::isHex)) {
        throw new IOException("malformed chunk size: " + printable(line));
      }
      left = Long.parseLong(size, 16);
      if (left > 0) {
        return true;
      }
      while (!readLine(budget).isEmpty()) {
        // trailers: not used
      }
      return false;
    }

    private static boolean isHex(int c) {
      return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    /** Bytes readable without waiting: gzip reads on when some are, and so reaches the end. */
    @Override
    public int available() {
      if (state.get() != OPEN) {
        return 0;
      }
      int buffered = lim - pos;
      return left > 0 ? (int) Math.min(buffered, left) : buffered;
    }

    /** The body was read to its end. */
    private void end() {
      if (state.compareAndSet(OPEN, ENDED)) {
        done.accept(Http1Connection.this);
      }
    }

    @Override
    public void close() {
      if (state.compareAndSet(OPEN, CLOSED)) {
        Http1Connection.this.close();
      }
    }
  }
}
