package dev.chargeback.meter.history;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.meter.discovery.KubeletCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Path token = bearerTokenFile.isBlank() ? null : Path.of(bearerTokenFile);
    String basic = null;
    if (!basicAuthFile.isBlank()) {
      try {
        basic = Files.readString(Path.of(basicAuthFile)).strip();
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read " + basicAuthFile + ": " + e.getMessage());
      }
      if (basic.indexOf(':') < 1) {
        throw new IllegalArgumentException(basicAuthFile + " must hold one line user:password");
      }
    }
    SSLContext tls =
        insecureSkipVerify || !caFile.isBlank()
            ? KubeletCredentials.tls(insecureSkipVerify, caFile.isBlank() ? null : Path.of(caFile))
            : null;
    return new Endpoint(
        uri,
        token == null ? () -> null : KubeletCredentials.token(token, () -> null),
        basic,
        tls,
        timeout);
  }

  /** The default bound on one answer's size (config key {@code prometheus.maxAnswerBytes}). */
  public static final long MAX_ANSWER_BYTES = 256L << 20;

  /** Receives the series of an answer one at a time ({@code {"metric": …, "values": […]}}). */
  @FunctionalInterface
  public interface SeriesVisitor {
    void visit(JsonNode series);
  }

  private final Endpoint endpoint;
  private final HttpClient client;
  private final long maxAnswerBytes;

  public PrometheusApi(Endpoint endpoint) {
    this(endpoint, MAX_ANSWER_BYTES);
  }

  /**
   * @param maxAnswerBytes an answer longer than this fails its query (and so its hours), naming the
   *     query and the bound; answers are read as a stream, one series at a time, so memory does not
   *     grow with an answer's size
   */
  public PrometheusApi(Endpoint endpoint, long maxAnswerBytes) {
    this.endpoint = endpoint;
    this.maxAnswerBytes = maxAnswerBytes;
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .connectTimeout(endpoint.timeout())
            .followRedirects(HttpClient.Redirect.NORMAL);
    if (endpoint.tls() != null) {
      b.sslContext(endpoint.tls());
    }
    this.client = b.build();
  }

  /**
   * Streams the matrix {@code query} returns, evaluated every {@code stepSeconds} in [start, end],
   * to {@code visitor}, one series at a time. A failure after some series were visited (a partial
   * answer's warnings come last) still throws: the caller keeps nothing of a failed query.
   */
  public void queryRange(
      String query, long startSeconds, long endSeconds, long stepSeconds, SeriesVisitor visitor)
      throws QueryException, InterruptedException {
    post(
        "/api/v1/query_range",
        query,
        "&start=" + startSeconds + "&end=" + endSeconds + "&step=" + stepSeconds,
        visitor);
  }

  /**
   * Streams the raw samples a range selector ({@code name{labels}[1h]}) holds at {@code
   * timeSeconds}: an instant query whose answer is a matrix.
   */
  public void querySamples(String rangeSelector, long timeSeconds, SeriesVisitor visitor)
      throws QueryException, InterruptedException {
    post("/api/v1/query", rangeSelector, "&time=" + timeSeconds, visitor);
  }

  private void post(String path, String query, String parameters, SeriesVisitor visitor)
      throws QueryException, InterruptedException {
    String base = endpoint.url().toString().replaceAll("/+$", "");
    String form = "query=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + parameters;
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + path))
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
    HttpResponse<InputStream> response;
    try {
      response = client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpTimeoutException e) {
      throw new QueryException("no answer within " + endpoint.timeout().toSeconds() + " s");
    } catch (IOException e) {
      throw new QueryException(
          "cannot reach " + base + ": " + (e.getMessage() == null ? e.toString() : e.getMessage()));
    }
    try (InputStream body = new BoundedInputStream(response.body(), maxAnswerBytes)) {
      if (response.statusCode() != 200) {
        JsonNode error = errorBody(body);
        String detail =
            error != null && error.hasNonNull("error") ? ": " + error.get("error").asText() : "";
        throw new QueryException("HTTP " + response.statusCode() + detail);
      }
      readMatrix(body, visitor);
    } catch (BoundedInputStream.TooLong e) {
      throw new QueryException(
          "the answer to "
              + abbreviated(query)
              + " is larger than "
              + (maxAnswerBytes >= 1 << 20
                  ? (maxAnswerBytes >> 20) + " MiB"
                  : maxAnswerBytes + " bytes")
              + " (config key prometheus.maxAnswerBytes); these hours are left for a later"
              + " run, with a higher bound or a narrower query");
    } catch (JsonProcessingException e) {
      throw new QueryException("not a Prometheus API answer");
    } catch (IOException e) {
      throw new QueryException(
          "error reading the answer from "
              + base
              + ": "
              + (e.getMessage() == null ? e : e.getMessage()));
    }
  }

  private static JsonNode errorBody(InputStream body) {
    try {
      return JSON.readTree(body);
    } catch (IOException e) {
      return null;
    }
  }

  /** Reads {@code {"status", "data": {"resultType", "result": [...]}, "warnings"}} as a stream. */
  private static void readMatrix(InputStream body, SeriesVisitor visitor)
      throws IOException, QueryException {
    String status = null;
    String warning = null;
    String resultType = null;
    try (JsonParser p = JSON.getFactory().createParser(body)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new QueryException("not a Prometheus API answer");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        switch (field) {
          case "status" -> status = p.getValueAsString();
          case "warnings" -> {
            JsonNode warnings = p.readValueAsTree();
            if (warnings.size() > 0) {
              warning = warnings.get(0).asText();
            }
          }
          case "data" -> {
            if (value != JsonToken.START_OBJECT) {
              throw new QueryException("not a Prometheus API answer");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
              String inner = p.currentName();
              JsonToken v = p.nextToken();
              if (inner.equals("resultType")) {
                resultType = p.getValueAsString();
              } else if (inner.equals("result") && v == JsonToken.START_ARRAY) {
                if (resultType != null && !resultType.equals("matrix")) {
                  throw new QueryException("expected a matrix, got \"" + resultType + "\"");
                }
                while (p.nextToken() == JsonToken.START_OBJECT) {
                  visitor.visit(p.readValueAsTree());
                }
              } else {
                p.skipChildren();
              }
            }
          }
          default -> p.skipChildren();
        }
      }
    }
    if (!"success".equals(status)) {
      throw new QueryException("not a Prometheus API answer");
    }
    if (warning != null) {
      // Thanos and Mimir answer partially (a store down) with warnings: not a complete hour.
      throw new QueryException("partial response: " + warning);
    }
    if (!"matrix".equals(resultType)) {
      throw new QueryException("expected a matrix, got \"" + resultType + "\"");
    }
  }

  private static String abbreviated(String query) {
    String q = query.replaceAll("\\s+", " ");
    return "'" + (q.length() > 80 ? q.substring(0, 80) + "…" : q) + "'";
  }

  @Override
  public void close() {
    client.close();
  }
}
