package dev.chargeback.meter.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.time.ZoneId;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The scraper against a real HTTP server on 127.0.0.1 that misbehaves in each way a target can. */
class ScraperIT {
  private HttpServer server;
  private Scraper scraper;
  private final java.util.concurrent.atomic.AtomicInteger hits =
      new java.util.concurrent.atomic.AtomicInteger();
  private final java.util.Map<String, Long> firstScrapes =
      new java.util.concurrent.ConcurrentHashMap<>();
  private Meter meter;
  private byte[] capture;

  @BeforeEach
  void start() throws IOException {
    try (InputStream in =
        getClass().getResourceAsStream("/fixtures/kubelet-1.35-containerd-cadvisor.prom")) {
      capture = in.readAllBytes();
    }
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/plain",
        ex -> {
          ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
          ex.sendResponseHeaders(200, capture.length);
          ex.getResponseBody().write(capture);
          ex.close();
        });
    server.createContext(
        "/gzip",
        ex -> {
          ByteArrayOutputStream z = new ByteArrayOutputStream();
          try (GZIPOutputStream gz = new GZIPOutputStream(z)) {
            gz.write(capture);
          }
          ex.getResponseHeaders().add("Content-Encoding", "gzip");
          ex.sendResponseHeaders(200, z.size());
          ex.getResponseBody().write(z.toByteArray());
          ex.close();
        });
    server.createContext(
        "/bomb",
        ex -> {
          // 1 MiB of gzip that inflates to 1 GiB of newlines.
          ex.getResponseHeaders().add("Content-Encoding", "gzip");
          ex.sendResponseHeaders(200, 0);
          try (GZIPOutputStream gz = new GZIPOutputStream(ex.getResponseBody())) {
            byte[] lines = new byte[1 << 20];
            java.util.Arrays.fill(lines, (byte) '\n');
            for (int i = 0; i < 1024; i++) {
              gz.write(lines);
            }
          } catch (IOException e) {
            // the scraper hung up once the limit was reached
          }
          ex.close();
        });
    server.createContext(
        "/huge",
        ex -> {
          // A 1 GiB body of valid comment lines, sent as fast as the socket takes it.
          ex.sendResponseHeaders(200, 1L << 30);
          byte[] chunk =
              "# padding padding padding padding padding padding padding\n".repeat(1024).getBytes();
          try {
            for (long sent = 0; sent < (1L << 30); sent += chunk.length) {
              ex.getResponseBody().write(chunk);
            }
          } catch (IOException e) {
            // the scraper hung up once the limit was reached
          }
          ex.close();
        });
    server.createContext(
        "/forbidden",
        ex -> {
          ex.sendResponseHeaders(403, -1);
          ex.close();
        });
    server.createContext(
        "/counted",
        ex -> {
          hits.incrementAndGet();
          ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
          ex.sendResponseHeaders(200, capture.length);
          ex.getResponseBody().write(capture);
          ex.close();
        });
    server.createContext(
        "/spread",
        ex -> {
          firstScrapes.putIfAbsent(ex.getRequestURI().getQuery(), System.nanoTime());
          ex.sendResponseHeaders(200, -1);
          ex.close();
        });
    server.createContext(
        "/unauthorized",
        ex -> {
          ex.sendResponseHeaders(401, -1);
          ex.close();
        });
    server.createContext(
        "/malformed",
        ex -> {
          byte[] body = "ok 1\ncontainer_cpu_usage_seconds_total{namespace=\"a\" 1\n".getBytes();
          ex.sendResponseHeaders(200, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.createContext(
        "/endless",
        ex -> {
          ex.sendResponseHeaders(200, 0);
          OutputStream out = ex.getResponseBody();
          try {
            while (true) {
              out.write("# still going\n".getBytes());
              out.flush();
              Thread.sleep(10);
            }
          } catch (IOException | InterruptedException e) {
            ex.close();
          }
        });
    server.setExecutor(java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor());
    server.start();
    scraper = new Scraper(Duration.ofMillis(1500));
    meter =
        new Meter(
            new RollupStore(new MemoryKeyValueStore(), new BillingCalendar(ZoneId.of("UTC"))),
            new ParserLimits(256 * 1024, 64, 4L << 20),
            new PodDirectory(),
            Duration.ofSeconds(150));
  }

  @AfterEach
  void stop() {
    server.stop(0);
    scraper.close();
  }

  private Target target(String path) {
    return Target.of(
        SourceRole.CADVISOR,
        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path),
        "n");
  }

  @Test
  void scrapesPlainAndGzipBodiesAlike() throws Exception {
    // 17 CPU + 17 memory application rows and 39 non-host-network interface rows × 2 directions.
    int plain = scraper.scrape(target("/plain"), meter, System.currentTimeMillis());
    int gzip = scraper.scrape(target("/gzip"), meter, System.currentTimeMillis());
    assertThat(plain).isEqualTo(gzip).isGreaterThan(34);
  }

  @Test
  void aKubeletsConnectionIsKeptThoughItsLastChunkComesLate() throws Exception {
    // As a kubelet answers: gzip in one chunk, the last (empty) chunk a moment later.
    ByteArrayOutputStream z = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(z)) {
      gz.write(capture);
    }
    java.util.concurrent.atomic.AtomicInteger accepted =
        new java.util.concurrent.atomic.AtomicInteger();
    try (ServerSocket kubelet =
        new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Thread.ofVirtual()
          .start(
              () -> {
                while (true) {
                  try (java.net.Socket s = kubelet.accept()) {
                    accepted.incrementAndGet();
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    while (readRequest(in)) {
                      out.write(
                          ("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                                  + "Transfer-Encoding: chunked\r\n\r\n"
                                  + Integer.toHexString(z.size())
                                  + "\r\n")
                              .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                      out.write(z.toByteArray());
                      out.write("\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                      out.flush();
                      Thread.sleep(50);
                      out.write("0\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                      out.flush();
                    }
                  } catch (IOException | InterruptedException e) {
                    if (kubelet.isClosed()) {
                      return;
                    }
                  }
                }
              });
      Target target =
          Target.of(
              SourceRole.CADVISOR,
              URI.create("http://127.0.0.1:" + kubelet.getLocalPort() + "/metrics/cadvisor"),
              "n");
      for (int i = 0; i < 4; i++) {
        assertThat(scraper.scrape(target, meter, System.currentTimeMillis())).isGreaterThan(34);
      }
      assertThat(accepted.get()).isEqualTo(1);
    }
  }

  /** Reads a request's head; false at the connection's end. */
  private static boolean readRequest(InputStream in) throws IOException {
    int matched = 0;
    for (int c; (c = in.read()) >= 0; ) {
      matched = c == "\r\n\r\n".charAt(matched) ? matched + 1 : (c == '\r' ? 1 : 0);
      if (matched == 4) {
        return true;
      }
    }
    return false;
  }

  @Test
  void httpErrorsAreNamed() {
    assertThatThrownBy(() -> scraper.scrape(target("/unauthorized"), meter, 0))
        .isInstanceOf(ScrapeException.class)
        .hasMessageContaining("HTTP 401");
  }

  @Test
  void malformedBodiesNameTheLine() {
    assertThatThrownBy(() -> scraper.scrape(target("/malformed"), meter, 0))
        .hasMessageContaining("malformed scrape")
        .hasMessageContaining("line 2");
  }

  @Test
  void aBodyThatNeverEndsIsCutOffAtTheDeadline() {
    long started = System.nanoTime();
    assertThatThrownBy(() -> scraper.scrape(target("/endless"), meter, 0))
        .isInstanceOf(ScrapeException.class)
        .hasMessageContaining("timed out");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void refusedConnectionsAreNamed() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Target closed =
        Target.of(SourceRole.CADVISOR, URI.create("http://127.0.0.1:" + port + "/x"), "");
    assertThatThrownBy(() -> scraper.scrape(closed, meter, 0))
        .isInstanceOf(ScrapeException.class)
        .hasMessageContaining("cannot reach");
  }

  @Test
  void aGzipBombAndAGigabyteBodyStopAtTheBodyLimit() {
    // The meter here allows 4 MiB of (decompressed) body.
    long started = System.nanoTime();
    assertThatThrownBy(() -> scraper.scrape(target("/bomb"), meter, 0))
        .isInstanceOf(ScrapeException.class)
        .hasMessageContaining("4194304");
    assertThatThrownBy(() -> scraper.scrape(target("/huge"), meter, 0))
        .isInstanceOf(ScrapeException.class)
        .hasMessageContaining("4194304");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  @Test
  void aForbiddenKubeletIsANamedCountedError() {
    ScrapeLoop loop =
        new ScrapeLoop(meter, scraper, java.time.InstantSource.system(), Duration.ofSeconds(30));
    loop.scrapeOnce(target("/forbidden"));
    assertThat(loop.errors()).containsEntry(target("/forbidden").name(), 1L);
    assertThatThrownBy(() -> scraper.scrape(target("/forbidden"), meter, 0))
        .hasMessageContaining("HTTP 403 from http://127.0.0.1:");
  }

  @Test
  void aHangingTargetDoesNotDelayTheOthers() throws Exception {
    ScrapeLoop loop =
        new ScrapeLoop(meter, scraper, java.time.InstantSource.system(), Duration.ofSeconds(1));
    loop.start(java.util.List.of(target("/endless"), target("/endless?2"), target("/counted")));
    Thread.sleep(4_500);
    loop.close();
    // The good target was scraped every second while two others hung until their deadline.
    assertThat(hits.get()).isGreaterThanOrEqualTo(4);
    assertThat(loop.errors().get(target("/endless").name())).isGreaterThanOrEqualTo(2L);
  }

  @Test
  void aStartingMeterSpreadsEvenItsFirstScrapesOverTheInterval() throws Exception {
    // All first scrapes at once held every target's body at the same moment: 200 kubelets ran
    // a 64 MiB heap out of memory at start-up.
    ScrapeLoop loop =
        new ScrapeLoop(meter, scraper, java.time.InstantSource.system(), Duration.ofSeconds(2));
    long started = System.nanoTime();
    java.util.List<Target> targets = new java.util.ArrayList<>();
    for (int i = 0; i < 40; i++) {
      targets.add(target("/spread?" + i));
    }
    loop.start(targets);
    long deadline = System.currentTimeMillis() + 10_000;
    while (firstScrapes.size() < 40 && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    loop.close();
    assertThat(firstScrapes).hasSize(40);
    long[] ms =
        firstScrapes.values().stream().mapToLong(t -> (t - started) / 1_000_000).sorted().toArray();
    // Spread over the 2 s interval: a quarter of them in each half second, give or take.
    long inFirstHalfSecond = java.util.Arrays.stream(ms).filter(t -> t < 500).count();
    assertThat(inFirstHalfSecond)
        .as("first scrapes at %s ms", java.util.Arrays.toString(ms))
        .isBetween(3L, 20L);
    assertThat(ms[ms.length - 1]).isLessThan(2_500);
  }

  @Test
  void aFailedScrapeIsCountedForTheExporter() {
    ScrapeLoop loop =
        new ScrapeLoop(meter, scraper, java.time.InstantSource.system(), Duration.ofSeconds(30));
    loop.scrapeOnce(target("/unauthorized"));
    loop.scrapeOnce(target("/unauthorized"));
    assertThat(loop.errors()).containsValue(2L);
    assertThat(meter.store().health().scrapeErrors()).containsValue(2L);
  }
}
