package dev.chargeback.exporter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.metrics.BillingMetrics;
import dev.chargeback.exporter.metrics.MetricsPage;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.rollup.UsageCounters;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import io.javalin.Javalin;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} over real HTTP, compressed by the page for a scraper that asks for gzip (as
 * Prometheus does) and plain for one that does not; large enough (3,000 namespaces, over 20,000
 * series) that the page is written and compressed in two halves.
 */
class MetricsCompressionIT {
  @TempDir Path dir;
  private RollupStore store;
  private Javalin http;
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void start() {
    store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(dir.resolve("data"), false),
            new BillingCalendar(ZoneOffset.UTC));
    long now = System.currentTimeMillis();
    List<Usage> usages = new ArrayList<>();
    // Every resource /metrics writes a family of.
    List<Resource> exported =
        java.util.Arrays.stream(Resource.values())
            .filter(r -> r.isCost() || UsageCounters.of(r) != null)
            .toList();
    for (int n = 0; n < 3_000; n++) {
      for (Resource r : exported) {
        usages.add(new Usage("ns-" + n, "Deployment/app", "", r, now - 60_000, now, 1 + n));
      }
    }
    store.apply(new Ingest("test", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
    // No JVM metrics: two renders of the same store are the same bytes.
    MetricsPage page =
        new MetricsPage(
            new BillingMetrics(store, PriceBookLoader.defaults(), InstantSource.system()),
            new PrometheusRegistry());
    http = HttpApi.start("127.0.0.1:0", store, page, () -> null, cfg -> {});
  }

  @AfterEach
  void stop() {
    http.stop();
    store.close();
  }

  private HttpResponse<byte[]> get(String acceptEncoding) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + "/metrics"))
            .header("Accept", "application/openmetrics-text;version=1.0.0");
    if (acceptEncoding != null) {
      request.header("Accept-Encoding", acceptEncoding);
    }
    HttpResponse<byte[]> response =
        client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Vary"))
        .hasValueSatisfying(v -> assertThat(v).containsIgnoringCase("Accept-Encoding"));
    return response;
  }

  private static byte[] gunzip(byte[] body) throws Exception {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      return in.readAllBytes();
    }
  }

  @Test
  void aScraperThatAsksForGzipGetsThePageCompressedOnceOthersGetItPlain() throws Exception {
    HttpResponse<byte[]> plain = get(null);
    assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
    String text = new String(plain.body(), StandardCharsets.UTF_8);
    assertThat(text)
        .contains("chargeback_usage_cpu_seconds_total{namespace=\"ns-2999\"} 3000\n")
        .endsWith("# EOF\n");
    assertThat(text.lines().filter(l -> !l.startsWith("#")).count()).isGreaterThan(20_000);

    // Prometheus' header.
    HttpResponse<byte[]> zipped = get("gzip");
    assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
    assertThat(zipped.body().length).isLessThan(plain.body().length / 4);
    assertThat(gunzip(zipped.body())).isEqualTo(plain.body());
    // Made once: a second scraper of the unchanged store gets the same bytes.
    assertThat(get("gzip, deflate").body()).isEqualTo(zipped.body());

    // Weights: gzip refused by name wins over *, and a coding we do not make is not made.
    assertThat(get("*").headers().firstValue("Content-Encoding")).hasValue("gzip");
    for (String refused : List.of("gzip;q=0", "gzip; q=0.0, *;q=1", "br", "identity", "x")) {
      HttpResponse<byte[]> response = get(refused);
      assertThat(response.headers().firstValue("Content-Encoding")).as(refused).isEmpty();
      assertThat(response.body()).as(refused).isEqualTo(plain.body());
    }
    assertThat(get("br;q=1, GZIP;q=0.5").headers().firstValue("Content-Encoding")).hasValue("gzip");
  }
}
