package dev.chargeback.meter.scrape;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;

/**
 * HTTP/1.1 GETs over blocking sockets (TLS for https), optionally with a bearer token and a TLS
 * context of its own; a target's connection is kept between its scrapes.
 *
 * <p>Why not the JDK's {@code HttpClient}: its selector thread, its per-read events and buffers
 * handed from thread to thread cost the meter more CPU than parsing (at 200 kubelets, 0.26 CPU s a
 * round of 0.89, stop 31's profile). Here a scrape's own thread reads the socket straight into the
 * parser's buffer. A scrape is a GET of one body, which needs no more of HTTP than this.
 */
public final class HttpTransport implements Transport {
  /** A connection unused for this long is closed (its target is gone or scraped rarely). */
  static final long IDLE_NANOS = Duration.ofMinutes(5).toNanos();

  private final long connectMillis;
  private final SSLContext tls;
  private final Supplier<String> bearerToken;
  private final Map<String, ArrayDeque<Http1Connection>> idle = new HashMap<>();
  private SSLSocketFactory sockets;
  private long sweptAt = System.nanoTime();
  private boolean closed;

  /** Plain HTTP(S), trusting the JDK's CAs, no credentials. */
  public HttpTransport(Duration connectTimeout) {
    this(connectTimeout, null, () -> null);
  }

  /**
   * @param tls the TLS context; null for the JDK default
   * @param bearerToken the token to send (read on every request, so rotated tokens are picked up);
   *     returns null for none
   */
  public HttpTransport(Duration connectTimeout, SSLContext tls, Supplier<String> bearerToken) {
    this.connectMillis = connectTimeout.toMillis();
    this.tls = tls;
    this.bearerToken = bearerToken;
  }

  @Override
  public Response get(URI url, Duration timeout) throws IOException, InterruptedException {
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    boolean https = scheme.equals("https");
    if (!https && !scheme.equals("http")) {
      throw new IOException("not an http or https URL");
    }
    String host = url.getHost();
    if (host == null) {
      throw new IOException("no host in the URL");
    }
    int port = url.getPort() < 0 ? (https ? 443 : 80) : url.getPort();
    byte[] request = request(url, host);
    String key = scheme + "://" + host + ":" + port;
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Http1Connection kept = take(key);
      Http1Connection connection =
          kept != null
              ? kept
              : Http1Connection.open(
                  key, host, port, https ? sockets() : null, connectMillis, deadline);
      try {
        return connection.exchange(request, deadline, this::release);
      } catch (IOException | RuntimeException e) {
        connection.close();
        if (Thread.interrupted()) {
          throw new InterruptedException("interrupted while waiting for " + url);
        }
        // A kept connection the server closed meanwhile: once more on a new one (a GET may).
        if (kept == null || connection.receivedAny() || e instanceof HttpTimeoutException) {
          throw e;
        }
      }
    }
  }

  private byte[] request(URI url, String host) throws IOException {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    StringBuilder r = new StringBuilder(256).append("GET ").append(path);
    if (url.getRawQuery() != null) {
      r.append('?').append(url.getRawQuery());
    }
    r.append(" HTTP/1.1\r\nHost: ").append(host);
    if (url.getPort() >= 0) {
      r.append(':').append(url.getPort());
    }
    r.append("\r\nUser-Agent: chargeback-meter\r\nAccept: ")
        .append(ACCEPT)
        .append("\r\nAccept-Encoding: gzip\r\n");
    String token = bearerToken.get();
    if (token != null) {
      if (!token.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
        // A header value may not end the header early; the token is not shown.
        throw new IOException("the bearer token holds a character a header cannot carry");
      }
      r.append("Authorization: Bearer ").append(token).append("\r\n");
    }
    return r.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private synchronized SSLSocketFactory sockets() throws IOException {
    if (sockets == null) {
      try {
        sockets = (tls != null ? tls : SSLContext.getDefault()).getSocketFactory();
      } catch (NoSuchAlgorithmException e) {
        throw new IOException("no TLS in this JDK", e);
      }
    }
    return sockets;
  }

  /** The most recently used idle connection to {@code key}, or null. */
  private Http1Connection take(String key) {
    Http1Connection found;
    List<Http1Connection> expired;
    synchronized (this) {
      ArrayDeque<Http1Connection> kept = idle.get(key);
      found = kept == null ? null : kept.pollLast();
      if (kept != null && kept.isEmpty()) {
        idle.remove(key);
      }
      expired = expired();
    }
    expired.forEach(Http1Connection::close);
    return found;
  }

  /** A connection whose response was read whole: kept for the next request when it can be. */
  private void release(Http1Connection connection) {
    boolean kept = connection.idle();
    List<Http1Connection> expired;
    synchronized (this) {
      kept &= !closed;
      if (kept) {
        idle.computeIfAbsent(connection.key, k -> new ArrayDeque<>()).addLast(connection);
      }
      expired = expired();
    }
    if (!kept) {
      connection.close();
    }
    expired.forEach(Http1Connection::close);
  }

  /**
   * Takes out the connections idle longer than {@link #IDLE_NANOS}, looking at most every fifth of
   * that (a connection may stay up to 6 minutes; a stale one is replaced when used).
   */
  private List<Http1Connection> expired() {
    long now = System.nanoTime();
    if (now - sweptAt < IDLE_NANOS / 5) {
      return List.of();
    }
    sweptAt = now;
    List<Http1Connection> expired = new ArrayList<>();
    for (Iterator<ArrayDeque<Http1Connection>> i = idle.values().iterator(); i.hasNext(); ) {
      ArrayDeque<Http1Connection> kept = i.next();
      // Oldest first: stop at the first that is still fresh.
      while (!kept.isEmpty() && now - kept.peekFirst().idleSince() > IDLE_NANOS) {
        expired.add(kept.pollFirst());
      }
      if (kept.isEmpty()) {
        i.remove();
      }
    }
    return expired;
  }

  /** Connections kept idle now, for tests. */
  synchronized int idleConnections() {
    return idle.values().stream().mapToInt(ArrayDeque::size).sum();
  }

  @Override
  public void close() {
    List<Http1Connection> all = new ArrayList<>();
    synchronized (this) {
      closed = true;
      idle.values().forEach(all::addAll);
      idle.clear();
    }
    all.forEach(Http1Connection::close);
  }
}
