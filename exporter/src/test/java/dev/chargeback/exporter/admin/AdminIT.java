package dev.chargeback.exporter.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.chargeback.exporter.harness.ChargebackProcess;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meter's admin door, tried as an attacker in another pod would: the meter runs as the chart
 * runs it (listening on every address), and 127.0.0.2 stands for the pod's address as another pod
 * reaches it. Admin requests from there never reach an admin endpoint; from inside the pod they do,
 * validated field by field and confined to {@code admin.directories}.
 */
class AdminIT {
  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> stolen = new CopyOnWriteArrayList<>();
  private HttpServer listener;
  private Process meter;
  private Path log;
  private Path allowed;
  private int healthPort;
  private String admin;

  @BeforeEach
  void startMeter() throws Exception {
    // Whatever the meter sends here, with its Authorization header, is a leak.
    listener = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    listener.createContext(
        "/",
        exchange -> {
          stolen.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
          exchange.sendResponseHeaders(500, -1);
          exchange.close();
        });
    listener.start();
    allowed = Files.createDirectories(dir.resolve("allowed"));
    log = dir.resolve("meter.log");
    meter =
        ChargebackProcess.start(
            log,
            "meter",
            "--data",
            dir.resolve("data").toString(),
            "--listen",
            ":0",
            "--kubernetes.discovery",
            "off",
            "--admin.directories",
            allowed.toString());
    admin = ChargebackProcess.adminUrl(meter, log);
    ChargebackProcess.awaitLog(meter, log, "meter serving HTTP on port ");
    String line =
        Files.readAllLines(log).stream()
            .filter(l -> l.contains("meter serving HTTP on port "))
            .findFirst()
            .orElseThrow();
    healthPort = Integer.parseInt(line.substring(line.lastIndexOf(' ') + 1).strip());
  }

  @AfterEach
  void stop() throws Exception {
    meter.destroy();
    assertThat(meter.waitFor(20, TimeUnit.SECONDS)).isTrue();
    listener.stop(0);
  }

  private HttpResponse<String> post(String url, String body) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String theft() {
    return """
        {"prometheusUrl": "http://127.0.0.1:%d", "start": "2026-10-01", "end": "2026-10-02",
         "bearerTokenFile": "%s"}"""
        .formatted(listener.getAddress().getPort(), secret());
  }

  /** A credential outside admin.directories, as the service-account token is in a pod. */
  private String secret() {
    try {
      Path token = dir.resolve("token");
      Files.writeString(token, "service-account-token");
      return token.toString();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void anotherPodReachesProbesButNoAdminEndpoint() throws Exception {
    String pod = "http://127.0.0.2:" + healthPort;
    assertThat(
            http.send(
                    HttpRequest.newBuilder(URI.create(pod + "/healthz")).build(),
                    HttpResponse.BodyHandlers.ofString())
                .statusCode())
        .isEqualTo(200);
    for (String path : List.of("/admin/import", "/admin/backup")) {
      HttpResponse<String> r = post(pod + path, theft());
      assertThat(r.statusCode()).as(path + " on the probe port").isEqualTo(404);
    }
    int adminPort = URI.create(admin).getPort();
    assertThatThrownBy(() -> post("http://127.0.0.2:" + adminPort + "/admin/import", theft()))
        .as("the admin port from another address")
        .isInstanceOf(ConnectException.class);
    assertThatThrownBy(
            () ->
                post(
                    "http://127.0.0.2:" + adminPort + "/admin/backup",
                    "{\"to\": \"" + allowed.resolve("b") + "\"}"))
        .isInstanceOf(ConnectException.class);
    assertThat(stolen).isEmpty();
    assertThat(allowed.resolve("b")).doesNotExist();
  }

  @Test
  void insideThePodABackupWorksAndNamedFilesStayInTheConfiguredDirectories() throws Exception {
    HttpResponse<String> backup =
        post(admin + "/admin/backup", "{\"to\": \"" + allowed.resolve("b1") + "\"}");
    assertThat(backup.statusCode()).as(backup.body()).isEqualTo(200);
    assertThat(allowed.resolve("b1").resolve("CURRENT")).exists();

    HttpResponse<String> token = post(admin + "/admin/import", theft());
    assertThat(token.statusCode()).as(token.body()).isEqualTo(403);
    assertThat(token.body()).contains("bearerTokenFile").contains("admin.directories");
    HttpResponse<String> passwd =
        post(admin + "/admin/import", "{\"openmetrics\": \"/etc/passwd\"}");
    assertThat(passwd.statusCode()).isEqualTo(403);
    assertThat(passwd.body()).doesNotContain("root:");
    HttpResponse<String> outside =
        post(admin + "/admin/backup", "{\"to\": \"" + dir.resolve("elsewhere") + "\"}");
    assertThat(outside.statusCode()).isEqualTo(403);
    Files.createSymbolicLink(allowed.resolve("link"), dir);
    HttpResponse<String> viaLink =
        post(admin + "/admin/backup", "{\"to\": \"" + allowed.resolve("link/escaped") + "\"}");
    assertThat(viaLink.statusCode()).as("a link out of the directory").isEqualTo(403);
    assertThat(dir.resolve("elsewhere")).doesNotExist();
    assertThat(dir.resolve("escaped")).doesNotExist();
    assertThat(stolen).isEmpty();
  }

  @Test
  void malformedRequestsAreA400NamingTheFieldAndNeverAnExceptionName() throws Exception {
    record Case(String path, String body, String field) {}
    for (Case c :
        List.of(
            new Case("/admin/backup", "{}", "field 'to': missing"),
            new Case("/admin/backup", "{\"to\": 7}", "field 'to': must be a string"),
            new Case("/admin/backup", "{\"to\": \"relative/dir\"}", "must be an absolute path"),
            new Case("/admin/backup", "{\"to\": \"/x\", \"extra\": 1}", "field 'extra': unknown"),
            new Case("/admin/backup", "[1, 2]", "must be a JSON object"),
            new Case("/admin/backup", "{\"to\": ", "not JSON"),
            new Case("/admin/import", "{}", "field 'openmetrics'"),
            new Case(
                "/admin/import",
                "{\"prometheusUrl\": \"http://127.0.0.1:1\", \"start\": \"2026-10-01\"}",
                "field 'end': missing"),
            new Case(
                "/admin/import",
                "{\"prometheusUrl\": \"http://127.0.0.1:1\", \"start\": \"yesterday\","
                    + " \"end\": \"2026-10-02\"}",
                "field 'start': not RFC 3339"),
            new Case(
                "/admin/import",
                "{\"prometheusUrl\": \"http://127.0.0.1:1\", \"start\": \"2026-10-01\","
                    + " \"end\": \"2026-10-02\", \"timeout\": 5}",
                "field 'timeout': must be a string"),
            new Case(
                "/admin/import",
                "{\"prometheusUrl\": \"http://127.0.0.1:1\", \"start\": \"2026-10-01\","
                    + " \"end\": \"2026-10-02\", \"timeout\": \"soon\"}",
                "field 'timeout': not a duration"),
            new Case(
                "/admin/import",
                "{\"prometheusUrl\": \"file:///etc/passwd\", \"start\": \"2026-10-01\","
                    + " \"end\": \"2026-10-02\"}",
                "field 'prometheusUrl'"),
            new Case(
                "/admin/import",
                "{\"openmetrics\": \"" + allowed.resolve("none.om") + "\"}",
                "field 'openmetrics': no such file"))) {
      HttpResponse<String> r = post(admin + c.path(), c.body());
      assertThat(r.statusCode()).as(c.body() + " → " + r.body()).isEqualTo(400);
      assertThat(r.body())
          .as(c.body())
          .contains(c.field())
          .doesNotContain("Exception")
          .doesNotContain("dev.chargeback")
          .doesNotContain("\tat ");
    }
    assertThat(Files.readString(log)).doesNotContain("NullPointerException");
  }
}
