package dev.chargeback.meter.scrape;

import dev.chargeback.meter.exposition.Format;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;

/**
 * Fetches one target: asks for OpenMetrics or text, accepts gzip, and bounds the whole exchange by
 * a deadline (a target that sends its body forever is cut off). The body is streamed to the meter;
 * its decompressed size is bounded by the parser.
 */
public final class Scraper implements AutoCloseable {
  static final String ACCEPT =
      "application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

  private final HttpClient client;
  private final Duration timeout;
  private final ScheduledExecutorService watchdog =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("scrape-watchdog").unstarted(r));

  public Scraper(Duration timeout) {
    this.timeout = timeout;
    this.client =
        HttpClient.newBuilder()
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
  }

  /** Scrapes {@code target} into {@code meter}. */
  public int scrape(Target target, Meter meter, long scrapeMillis) throws ScrapeException {
    HttpRequest request =
        HttpRequest.newBuilder(target.url())
            .timeout(timeout)
            .header("Accept", ACCEPT)
            .header("Accept-Encoding", "gzip")
            .header("User-Agent", "chargeback-meter")
            .GET()
            .build();
    HttpResponse<InputStream> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
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
    java.util.concurrent.atomic.AtomicBoolean expired =
        new java.util.concurrent.atomic.AtomicBoolean();
    ScheduledFuture<?> cutoff =
        watchdog.schedule(
            () -> {
              expired.set(true);
              closeQuietly(raw);
            },
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    try (InputStream body = decode(response, raw)) {
      if (response.statusCode() != 200) {
        throw new ScrapeException("HTTP " + response.statusCode() + " from " + target.url());
      }
      Format format =
          Format.ofContentType(response.headers().firstValue("Content-Type").orElse(""));
      return meter.ingest(target, body, format, scrapeMillis);
    } catch (IOException e) {
      if (expired.get()) {
        throw new ScrapeException(
            "timed out after " + timeout.toMillis() + " ms reading the body of " + target.url(), e);
      }
      throw new ScrapeException("error reading " + target.url() + ": " + describe(e), e);
    } finally {
      cutoff.cancel(false);
    }
  }

  private static InputStream decode(HttpResponse<InputStream> response, InputStream raw)
      throws IOException {
    boolean gzip =
        response
            .headers()
            .firstValue("Content-Encoding")
            .map(v -> v.equalsIgnoreCase("gzip"))
            .orElse(false);
    return gzip ? new GZIPInputStream(raw, 16 * 1024) : raw;
  }

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
    client.close();
  }
}
