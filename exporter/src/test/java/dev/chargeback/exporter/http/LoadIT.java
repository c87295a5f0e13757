package dev.chargeback.exporter.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.harness.ChargebackProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real program (the demo role, its heap capped at 256 MiB) under 100 concurrent clients on
 * {@code /bill} and {@code /metrics} for a minute, and under hostile requests.
 */
class LoadIT {
  private static final int CLIENTS = 100;
  private static final Duration RUN = Duration.ofSeconds(60);

  @TempDir Path dir;
  private ChargebackProcess.Demo running;
  private Process demo;
  private String base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeEach
  void startDemo() throws Exception {
    running = ChargebackProcess.demo(dir);
    demo = running.process();
    base = running.base();
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private long rss() throws Exception {
    for (String l : Files.readAllLines(Path.of("/proc/" + demo.pid() + "/status"))) {
      if (l.startsWith("VmRSS:")) {
        return Long.parseLong(l.replaceAll("\\D", "")) * 1024;
      }
    }
    return 0;
  }

  @Test
  void hundredClientsForAMinuteWithoutAnError() throws Exception {
    ConcurrentLinkedQueue<Double> bills = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<Double> metrics = new ConcurrentLinkedQueue<>();
    ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    AtomicLong peakRss = new AtomicLong();
    long end = System.nanoTime() + RUN.toNanos();
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int c = 0; c < CLIENTS; c++) {
        int client = c;
        pool.submit(
            () -> {
              // Bills of random namespaces and months (this one, the last, the closed one before
              // it), PDF and JSON, between scrapes of /metrics.
              String[] namespaces = {"default", "team-a", "team-b", "kube-system"};
              java.util.Random random = new java.util.Random(client);
              java.time.YearMonth now = java.time.YearMonth.now(java.time.ZoneOffset.UTC);
              int i = 0;
              while (System.nanoTime() < end) {
                boolean bill = (client + i) % 2 == 0;
                boolean json = bill && random.nextBoolean();
                String path =
                    bill
                        ? "/bill?ns="
                            + namespaces[random.nextInt(namespaces.length)]
                            + "&month="
                            + now.minusMonths(random.nextInt(3))
                            + (json ? "&format=json" : "")
                        : "/metrics";
                long t0 = System.nanoTime();
                try {
                  HttpResponse<byte[]> r = get(path);
                  double ms = (System.nanoTime() - t0) / 1e6;
                  if (r.statusCode() != 200 || r.body().length == 0) {
                    errors.add(path + " → HTTP " + r.statusCode());
                  } else if (bill
                      && !new String(r.body(), 0, json ? 1 : 5).equals(json ? "{" : "%PDF-")) {
                    errors.add(path + " → not a " + (json ? "JSON bill" : "PDF"));
                  }
                  (bill ? bills : metrics).add(ms);
                } catch (Exception e) {
                  errors.add(path + " → " + e);
                }
                i++;
              }
              return null;
            });
      }
      while (System.nanoTime() < end) {
        peakRss.accumulateAndGet(rss(), Math::max);
        Thread.sleep(500);
      }
    }
    double[] b = bills.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double[] m = metrics.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    System.out.printf(
        "100 clients, 60 s: %d bills p50 %.0f ms p99 %.0f ms; %d /metrics p50 %.0f ms p99 %.0f ms;"
            + " %d errors; peak RSS %d MiB%n",
        b.length,
        b[b.length / 2],
        b[(int) (b.length * 0.99)],
        m.length,
        m[m.length / 2],
        m[(int) (m.length * 0.99)],
        errors.size(),
        peakRss.get() >> 20);
    assertThat(errors).as("errors").isEmpty();
    assertThat(b.length).isGreaterThan(100);
    assertThat(m.length).isGreaterThan(100);
    // Heap capped at 256 MiB: the process stays bounded (no growth with requests).
    assertThat(peakRss.get()).isLessThan(700L << 20);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void hostileRequestsGetClearErrorsNotStackTraces() throws Exception {
    List<String> bad =
        List.of(
            "/bill?ns=",
            "/bill?ns=%00%0A%22%3Cscript%3E",
            "/bill?ns=default&month=2026-13",
            "/bill?ns=default&month=../../etc/passwd",
            "/bill?ns=default&format=exe",
            "/bill?ns=" + "x".repeat(5000),
            "/api/v1/usage?ns=default&step=7m",
            "/api/v1/usage?ns=default&from=yesterday",
            "/api/v1/usage?ns=default&from=0&to=9999999999&step=5m",
            "/api/v1/usage/namespaces?month=2026-1",
            "/nowhere");
    for (String path : bad) {
      HttpResponse<byte[]> r = get(path);
      String body = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
      assertThat(r.statusCode()).as(path).isBetween(400, 499);
      assertThat(body)
          .as(path)
          .doesNotContain("at dev.")
          .doesNotContain("Exception")
          .doesNotContain("<script>");
      assertThat(r.headers().firstValue("Content-Type").orElse(""))
          .as(path)
          .startsWith("application/json");
    }
    // Oversized requests are refused by the server, not processed.
    HttpResponse<byte[]> huge =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/bill?ns=default"))
                .header("X-Padding", "y".repeat(64 * 1024))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(huge.statusCode()).isIn(413, 431);
    // A client that announces its 1 MiB body is refused before sending it.
    HttpResponse<byte[]> announced =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/bill?ns=default"))
                .expectContinue(true)
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1 << 20]))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    assertThat(announced.statusCode()).isBetween(400, 499);
    // One that just sends it is refused too: the answer is a 4xx, or, when the server closes
    // the connection on the unread body before the client reads that answer (a TCP reset drops
    // it), no answer at all. Either way nothing is processed and the server keeps serving.
    try {
      HttpResponse<byte[]> post =
          http.send(
              HttpRequest.newBuilder(URI.create(base + "/bill?ns=default"))
                  .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1 << 20]))
                  .build(),
              HttpResponse.BodyHandlers.ofByteArray());
      assertThat(post.statusCode()).isBetween(400, 499);
    } catch (java.io.IOException closedOnUnreadBody) {
      // refused by closing the connection
    }
    assertThat(Arrays.asList(demo.isAlive())).containsExactly(true);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @AfterEach
  void stop() throws Exception {
    http.close();
    if (running != null) {
      running.close();
    }
  }
}
