package dev.chargeback.exporter.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus-compatible engine as a local process: Debian's {@code prometheus} (with {@code
 * promtool} to load history) or {@code victoria-metrics}, on a free loopback port.
 */
public final class Engine implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Process process;
  private final HttpClient http = HttpClient.newHttpClient();
  public final String url;
  public final int pid;

  /** Loads an OpenMetrics file into TSDB blocks (one block per month, as the docs advise). */
  public static void createBlocks(Path file, Path tsdb) throws IOException, InterruptedException {
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
  public static Engine prometheus(Path tsdb, String config, Path work, String... flags)
      throws Exception {
    int port = ChargebackProcess.freePort();
    Path file = work.resolve("prometheus-" + port + ".yml");
    Files.writeString(file, config);
    List<String> command =
        new ArrayList<>(
            List.of(
                "prometheus",
                "--config.file=" + file,
                "--storage.tsdb.path=" + tsdb,
                "--storage.tsdb.retention.time=10y",
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=error"));
    command.addAll(List.of(flags));
    return new Engine(command, port, "/-/ready", work.resolve("prometheus-" + port + ".log"));
  }

  /**
   * Starts VictoriaMetrics (single node) with its data in {@code data}, accepting Prometheus remote
   * write at {@code URL/api/v1/write} and serving the Prometheus query API at {@code URL}.
   */
  public static Engine victoriaMetrics(Path data, Path work) throws Exception {
    int port = ChargebackProcess.freePort();
    return new Engine(
        List.of(
            "victoria-metrics",
            "-storageDataPath=" + data,
            "-retentionPeriod=100y",
            "-httpListenAddr=127.0.0.1:" + port,
            // Queries see samples up to now, not 30 s behind (the default hides recent ones).
            "-search.latencyOffset=0s",
            "-loggerLevel=ERROR"),
        port,
        "/health",
        work.resolve("victoria-metrics-" + port + ".log"));
  }

  private Engine(List<String> command, int port, String ready, Path log) throws Exception {
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    pid = (int) process.pid();
    url = "http://127.0.0.1:" + port;
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      try {
        if (http.send(
                    HttpRequest.newBuilder(URI.create(url + ready)).build(),
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
        throw new IOException(
            command.getFirst() + " did not become ready: " + Files.readString(log));
      }
      Thread.sleep(200);
    }
  }

  /** Posts {@code body} to {@code path}; returns the status. */
  public int post(String path, String contentType, byte[] body) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url + path))
                .timeout(Duration.ofMinutes(2))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** An instant query's result vector. */
  public JsonNode query(String promql, long timeSeconds) throws Exception {
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
      throw new IOException("engine: " + body.path("error").asText());
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
