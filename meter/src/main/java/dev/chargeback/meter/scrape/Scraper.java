package dev.chargeback.meter.scrape;

import dev.chargeback.meter.exposition.Format;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.GZIPInputStream;

/**
 * Fetches one target: asks for OpenMetrics or text, accepts gzip, and bounds the whole exchange by
 * a deadline (a target that sends its body forever is cut off). The body is streamed to the meter;
 * its decompressed size is bounded by the parser.
 */
public final class Scraper implements AutoCloseable {
  private final Map<Target.Access, Transport> transports = new EnumMap<>(Target.Access.class);
  private final Duration timeout;
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("scrape-watchdog").unstarted(r));

  /** A scraper of plain targets only. */
  public Scraper(Duration timeout) {
    this(timeout, Map.of());
  }

  /**
   * @param transports how targets needing credentials are reached (closed with the scraper); plain
   *     targets use the JDK client
   */
  public Scraper(Duration timeout, Map<Target.Access, Transport> transports) {
    this.timeout = timeout;
    this.transports.put(Target.Access.PLAIN, new HttpTransport(timeout));
    this.transports.putAll(transports);
  }

  /** Scrapes {@code target} into {@code meter}. */
  public int scrape(Target target, Meter meter, long scrapeMillis) throws ScrapeException {
    Transport transport = transports.get(target.access());
    if (transport == null) {
      throw new ScrapeException(
          "no credentials for " + target.access() + " targets: " + target.url());
    }
    Transport.Response response;
    try {
      response = transport.get(target.url(), timeout);
    } catch (HttpTimeoutException e) {
      throw new ScrapeException(
          "timed out after " + timeout.toMillis() + " ms: " + target.url(), e);
    } catch (IOException e) {
      throw new ScrapeException("cannot reach " + target.url() + ": " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ScrapeException("interrupted while scraping " + target.url(), e);
    }
    InputStream raw = response.body();
    AtomicBoolean expired = new AtomicBoolean();
    ScheduledFuture<?> cutoff =
        watchdog.schedule(
            () -> {
              expired.set(true);
              closeQuietly(raw);
            },
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    try (InputStream body = decode(response, raw)) {
      if (response.status() != 200) {
        throw new ScrapeException("HTTP " + response.status() + " from " + target.url());
      }
      Format format = Format.ofContentType(response.header("Content-Type").orElse(""));
      int readings = meter.ingest(target, body, format, scrapeMillis);
      drain(raw);
      return readings;
    } catch (IOException e) {
      if (expired.get() || e instanceof HttpTimeoutException) {
        throw new ScrapeException(
            "timed out after " + timeout.toMillis() + " ms reading the body of " + target.url(), e);
      }
      throw new ScrapeException("error reading " + target.url() + ": " + describe(e), e);
    } finally {
      cutoff.cancel(false);
    }
  }

  private static InputStream decode(Transport.Response response, InputStream raw)
      throws IOException {
    boolean gzip =
        response.header("Content-Encoding").map(v -> v.equalsIgnoreCase("gzip")).orElse(false);
    return gzip ? new GZIPInputStream(raw, 16 * 1024) : raw;
  }

  /**
   * Reads what is left of the body once gzip's end was found: the last chunk's framing, which a
   * server may send a moment later. A connection read to its end is kept for the next scrape (a
   * kubelet's TLS handshake is not repeated every scrape). Java 23's gzip reader reads on to the
   * body's end by itself; Java 21's stops at its trailer unless more bytes are already there.
   * Prometheus drains bodies likewise.
   */
  private static void drain(InputStream raw) {
    byte[] rest = new byte[512];
    try {
      for (int total = 0; total < DRAIN_BYTES; ) {
        int n = raw.read(rest);
        if (n < 0) {
          return;
        }
        total += n;
      }
    } catch (IOException e) {
      // The scrape is complete; the connection is closed instead of kept.
    }
  }

  /** At most this much is read past a body's gzip end before the connection is given up. */
  private static final int DRAIN_BYTES = 64 * 1024;

  private static String describe(IOException e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException e) {
      // The scrape is being abandoned; its reader sees the failure.
    }
  }

  @Override
  public void close() {
    watchdog.shutdownNow();
    transports.values().forEach(Transport::close);
  }
}
