package dev.chargeback.exporter.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** The Debian {@code prometheus} and {@code promtool} binaries, as the bench's reference. */
final class LocalPrometheus implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final HttpClient http = HttpClient.newHttpClient();
  final String url;
  final int pid;

  /** Loads an OpenMetrics file into TSDB blocks (one block per month, as the docs advise). */
  static void createBlocks(Path file, Path tsdb) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                "promtool",
                "tsdb",
                "create-blocks-from",
                "openmetrics",
                "--max-block-duration=744h",
                "-q",
                file.toString(),
                tsdb.toString())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IOException("promtool create-blocks-from openmetrics failed on " + file);
    }
  }

  /** Starts Prometheus on {@code tsdb} with {@code config} (YAML) and waits until it is ready. */
  LocalPrometheus(Path tsdb, String config, Path work) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path file = work.resolve("prometheus-" + port + ".yml");
    Files.writeString(file, config);
    process =
        new ProcessBuilder(
                "prometheus",
                "--config.file=" + file,
                "--storage.tsdb.path=" + tsdb,
                "--storage.tsdb.retention.time=10y",
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=error")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    pid = (int) process.pid();
    url = "http://127.0.0.1:" + port;
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(url + "/-/ready")).build(),
                    HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return;
        }
      } catch (IOException e) {
        // starting
      }
      if (!process.isAlive() || System.currentTimeMillis() > deadline) {
        close();
        throw new IOException("prometheus did not become ready");
      }
      Thread.sleep(200);
    }
  }

  /** An instant query's result vector. */
  JsonNode query(String promql, long timeSeconds) throws Exception {
    HttpResponse<byte[]> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url + "/api/v1/query"))
                .timeout(Duration.ofMinutes(10))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "query="
                            + URLEncoder.encode(promql, StandardCharsets.UTF_8)
                            + "&time="
                            + timeSeconds))
                .build(),
            HttpResponse.BodyHandlers.ofByteArray());
    JsonNode body = JSON.readTree(r.body());
    if (r.statusCode() != 200) {
      throw new IOException("prometheus: " + body.path("error").asText());
    }
    return body.path("data").path("result");
  }

  @Override
  public void close() {
    process.destroy();
    try {
      process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.close();
  }
}
