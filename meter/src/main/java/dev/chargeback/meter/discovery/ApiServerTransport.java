package dev.chargeback.meter.discovery;

import dev.chargeback.meter.scrape.Transport;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.HttpClient;
import io.fabric8.kubernetes.client.http.HttpResponse;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Fetches paths on the API server (the node proxy) with the Kubernetes client's own HTTP client, so
 * every credential kind it supports (service account, kubeconfig certificates, tokens, exec
 * plugins) works here too.
 */
public final class ApiServerTransport implements Transport {
  private final HttpClient http;

  public ApiServerTransport(KubernetesClient client) {
    this.http = client.getHttpClient();
  }

  @Override
  public Response get(URI url, Duration timeout) throws IOException, InterruptedException {
    var request =
        http.newHttpRequestBuilder()
            .uri(url)
            .header("Accept", ACCEPT)
            .header("Accept-Encoding", "gzip")
            .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .build();
    CompletableFuture<HttpResponse<InputStream>> pending =
        http.sendAsync(request, InputStream.class);
    HttpResponse<InputStream> response;
    try {
      response = pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      pending.cancel(true);
      throw new HttpTimeoutException("no response within " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      throw cause instanceof IOException io
          ? io
          : new IOException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), e);
    }
    return new Response() {
      @Override
      public int status() {
        return response.code();
      }

      @Override
      public Optional<String> header(String name) {
        return Optional.ofNullable(response.header(name));
      }

      @Override
      public InputStream body() {
        return response.body() == null ? InputStream.nullInputStream() : response.body();
      }
    };
  }

  @Override
  public void close() {
    // The HTTP client belongs to the Kubernetes client, closed with it.
  }
}
