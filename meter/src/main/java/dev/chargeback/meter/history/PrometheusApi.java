package dev.chargeback.meter.history;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;

/**
 * The Prometheus HTTP query API ({@code /api/v1/query_range}), as Prometheus, Thanos, Mimir and
 * VictoriaMetrics serve it: a bearer token or basic auth, own TLS settings, and every failure named
 * (unreachable, timeout, HTTP status with the engine's error, partial responses).
 */
public final class PrometheusApi implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Where and how to connect.
   *
   * @param bearerToken read on every request (a file's token may rotate); null for none
   * @param basicAuth {@code user:password}; null for none
   * @param tls null for the JDK's CAs
   */
  public record Endpoint(
      URI url, Supplier<String> bearerToken, String basicAuth, SSLContext tls, Duration timeout) {}

  /** A query that failed, with the reason. */
  public static final class QueryException extends Exception {
    private static final long serialVersionUID = 1L;

    public QueryException(String message) {
      super(message);
    }
  }

  /**
   * An endpoint from settings as flags and config keys give them.
   *
   * @param bearerTokenFile re-read on every request; empty for none
   * @param basicAuthFile one line {@code user:password}; empty for none
   * @param caFile PEM CA certificates to trust; empty for the JDK's
   */
  public static Endpoint endpoint(
      String url,
      String bearerTokenFile,
      String basicAuthFile,
      String caFile,
      boolean insecureSkipVerify,
      Duration timeout) {
    URI uri = URI.create(url);
    if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
      throw new IllegalArgumentException("'" + url + "' is not an http(s) URL");
    }
    java.nio.file.Path token =
        bearerTokenFile.isBlank() ? null : java.nio.file.Path.of(bearerTokenFile);
    String basic = null;
    if (!basicAuthFile.isBlank()) {
      try {
        basic = java.nio.file.Files.readString(java.nio.file.Path.of(basicAuthFile)).strip();
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + basicAuthFile + ": " + e.getMessage());
      }
      if (basic.indexOf(':') < 1) {
        throw new IllegalArgumentException(basicAuthFile + " must hold one line user:password");
      }
    }
    SSLContext tls =
        insecureSkipVerify || !caFile.isBlank()
            ? dev.chargeback.meter.discovery.KubeletCredentials.tls(
                insecureSkipVerify, caFile.isBlank() ? null : java.nio.file.Path.of(caFile))
            : null;
    return new Endpoint(
        uri,
        token == null
            ? () -> null
            : dev.chargeback.meter.discovery.KubeletCredentials.token(token, () -> null),
        basic,
        tls,
        timeout);
  }

  private final Endpoint endpoint;
  private final HttpClient client;

  public PrometheusApi(Endpoint endpoint) {
    this.endpoint = endpoint;
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(endpoint.timeout())
            .followRedirects(HttpClient.Redirect.NORMAL);
    if (endpoint.tls() != null) {
      b.sslContext(endpoint.tls());
    }
    this.client = b.build();
  }

  /** The matrix {@code query} returns, evaluated every {@code stepSeconds} in [start, end]. */
  public JsonNode queryRange(String query, long startSeconds, long endSeconds, long stepSeconds)
      throws QueryException, InterruptedException {
    String base = endpoint.url().toString().replaceAll("/+$", "");
    String form =
        "query="
            + URLEncoder.encode(query, StandardCharsets.UTF_8)
            + "&start="
            + startSeconds
            + "&end="
            + endSeconds
            + "&step="
            + stepSeconds;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + "/api/v1/query_range"))
            .timeout(endpoint.timeout())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("User-Agent", "chargeback-import")
            .POST(HttpRequest.BodyPublishers.ofString(form));
    String token = endpoint.bearerToken() == null ? null : endpoint.bearerToken().get();
    if (token != null && !token.isBlank()) {
      request.header("Authorization", "Bearer " + token.strip());
    } else if (endpoint.basicAuth() != null) {
      request.header(
          "Authorization",
          "Basic "
              + Base64.getEncoder()
                  .encodeToString(endpoint.basicAuth().getBytes(StandardCharsets.UTF_8)));
    }
    HttpResponse<byte[]> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (HttpTimeoutException e) {
      throw new QueryException("no answer within " + endpoint.timeout().toSeconds() + " s");
    } catch (IOException e) {
      throw new QueryException(
          "cannot reach " + base + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException e) {
      body = null;
    }
    if (response.statusCode() != 200) {
      String error =
          body != null && body.hasNonNull("error") ? ": " + body.get("error").asText() : "";
      throw new QueryException("HTTP " + response.statusCode() + error);
    }
    if (body == null || !"success".equals(body.path("status").asText())) {
      throw new QueryException("not a Prometheus API answer");
    }
    if (body.path("warnings").size() > 0) {
      // Thanos and Mimir answer partially (a store down) with warnings: not a complete hour.
      throw new QueryException("partial response: " + body.get("warnings").get(0).asText());
    }
    if (!"matrix".equals(body.path("data").path("resultType").asText())) {
      throw new QueryException("expected a matrix, got " + body.path("data").path("resultType"));
    }
    return body.path("data").path("result");
  }

  @Override
  public void close() {
    client.close();
  }
}
