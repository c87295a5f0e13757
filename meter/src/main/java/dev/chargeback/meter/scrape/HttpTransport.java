package dev.chargeback.meter.scrape;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/** HTTP(S) with the JDK client, optionally with a bearer token and a TLS context of its own. */
public final class HttpTransport implements Transport {
  private final HttpClient client;
  private final Supplier<String> bearerToken;

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
    HttpClient.Builder builder =
        HttpClient.newBuilder()
            .connectTimeout(connectTimeout)
            .followRedirects(HttpClient.Redirect.NEVER);
    if (tls != null) {
      builder.sslContext(tls);
    }
    this.client = builder.build();
    this.bearerToken = bearerToken;
  }

  @Override
  public Response get(URI url, Duration timeout) throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(url)
            .timeout(timeout)
            .header("Accept", ACCEPT)
            .header("Accept-Encoding", "gzip")
            .header("User-Agent", "chargeback-meter")
            .GET();
    String token = bearerToken.get();
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<InputStream> response = client.send(request.build(), info -> new BodyBuffer());
    return new Response() {
      @Override
      public int status() {
        return response.statusCode();
      }

      @Override
      public Optional<String> header(String name) {
        return response.headers().firstValue(name);
      }

      @Override
      public InputStream body() {
        return response.body();
      }
    };
  }

  @Override
  public void close() {
    client.close();
  }
}
