package dev.chargeback.meter.scrape;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * How a target's body is fetched: plain HTTP(S), a kubelet with the service account's credentials,
 * or a path through the Kubernetes API server. The scraper adds the deadline, decoding and parsing.
 */
public interface Transport extends AutoCloseable {
  /** Request headers every scrape sends. */
  String ACCEPT =
      "application/openmetrics-text;version=1.0.0;q=0.8,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

  /**
   * Sends a GET for {@code url} and returns once the response headers arrived.
   *
   * @throws java.net.http.HttpTimeoutException when no response came within {@code timeout}
   */
  Response get(URI url, Duration timeout) throws IOException, InterruptedException;

  /** A response whose body is still to be read. */
  interface Response {
    int status();

    Optional<String> header(String name);

    InputStream body();
  }

  @Override
  void close();
}
