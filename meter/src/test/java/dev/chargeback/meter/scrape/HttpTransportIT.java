package dev.chargeback.meter.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chargeback.meter.discovery.KubeletCredentials;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import javax.net.ServerSocketFactory;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The meter's HTTP/1.1 client against a server on 127.0.0.1 that answers with exact bytes: framing
 * by length, chunks and the connection's end; kept and dropped connections; malformed responses;
 * silence; TLS with and without the host name in the certificate.
 */
class HttpTransportIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  private final List<AutoCloseable> closing = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private HttpTransport transport = new HttpTransport(TIMEOUT);

  @TempDir Path dir;

  @AfterEach
  void stop() throws Exception {
    transport.close();
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  /** What the server does with a request: bytes to send, then keep the connection or close it. */
  private record Reply(byte[] bytes, boolean close, long stallMillis) {
    static Reply of(String head, byte[] body) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      out.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes(body);
      return new Reply(out.toByteArray(), false, 0);
    }

    static Reply of(String whole) {
      return of(whole, new byte[0]);
    }

    Reply thenClose() {
      return new Reply(bytes, true, stallMillis);
    }
  }

  /** Serves on 127.0.0.1 (plain, or TLS from {@code sockets}); returns the port. */
  private int serve(ServerSocketFactory sockets, Function<String, Reply> script)
      throws IOException {
    ServerSocket server = sockets.createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    closing.add(server);
    Thread.ofVirtual()
        .start(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket s = server.accept();
                  closing.add(s);
                  connections.incrementAndGet();
                  Thread.ofVirtual().start(() -> converse(s, script));
                } catch (IOException e) {
                  return;
                }
              }
            });
    return server.getLocalPort();
  }

  private int serve(Function<String, Reply> script) throws IOException {
    return serve(ServerSocketFactory.getDefault(), script);
  }

  private void converse(Socket s, Function<String, Reply> script) {
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      while (true) {
        StringBuilder head = new StringBuilder();
        int c;
        while (!head.toString().endsWith("\r\n\r\n") && (c = in.read()) >= 0) {
          head.append((char) c);
        }
        if (!head.toString().endsWith("\r\n\r\n")) {
          return;
        }
        requests.add(head.toString());
        Reply reply = script.apply(head.toString());
        out.write(reply.bytes);
        out.flush();
        if (reply.stallMillis > 0) {
          Thread.sleep(reply.stallMillis);
        }
        if (reply.close) {
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // The client hung up.
    }
  }

  private URI url(int port, String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  private static byte[] bodyOf(Transport.Response response) throws IOException {
    try (InputStream body = response.body()) {
      boolean gzip = response.header("content-encoding").orElse("").equals("gzip");
      return (gzip ? new GZIPInputStream(body) : body).readAllBytes();
    }
  }

  private static String text(Transport.Response response) throws IOException {
    return new String(bodyOf(response), StandardCharsets.UTF_8);
  }

  private static byte[] gzip(String s) throws IOException {
    ByteArrayOutputStream z = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(z)) {
      out.write(s.getBytes(StandardCharsets.UTF_8));
    }
    return z.toByteArray();
  }

  /** {@code body} as chunks of {@code size} bytes, the first with an extension, then a trailer. */
  private static byte[] chunked(byte[] body, int size) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < body.length; i += size) {
      int n = Math.min(size, body.length - i);
      String line = Integer.toHexString(n) + (i == 0 ? ";name=value" : "") + "\r\n";
      out.writeBytes(line.getBytes(StandardCharsets.ISO_8859_1));
      out.write(body, i, n);
      out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes("0\r\nX-Trailer: t\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    return out.toByteArray();
  }

  @Test
  void aTargetsConnectionIsKeptBetweenScrapesWhateverTheFraming() throws Exception {
    String text = "container_cpu_usage_seconds_total 1\n".repeat(5_000);
    byte[] zipped = gzip(text);
    int port =
        serve(
            request -> {
              if (request.startsWith("GET /length ")) {
                return Reply.of(
                    "HTTP/1.1 200 OK\r\nContent-Length: " + text.length() + "\r\n\r\n",
                    text.getBytes(StandardCharsets.UTF_8));
              }
              if (request.startsWith("GET /chunked ")) {
                return Reply.of(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                    chunked(text.getBytes(StandardCharsets.UTF_8), 7_000));
              }
              // What a kubelet sends: gzip in chunks (read through gzip, as the scraper does).
              return Reply.of(
                  "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n",
                  chunked(zipped, 1_000));
            });
    for (String path : List.of("/length", "/chunked", "/gzip", "/length", "/gzip", "/chunked")) {
      assertThat(text(transport.get(url(port, path), TIMEOUT))).as(path).isEqualTo(text);
    }
    assertThat(connections.get()).isEqualTo(1);
    assertThat(transport.idleConnections()).isEqualTo(1);
  }

  @Test
  void requestsNameTheHostPathQueryAndToken() throws Exception {
    int port = serve(request -> Reply.of("HTTP/1.1 204 No Content\r\n\r\n"));
    transport = new HttpTransport(TIMEOUT, null, () -> "tok.en-1");
    Transport.Response response = transport.get(url(port, "/metrics/cadvisor?a=1&b=%20"), TIMEOUT);
    assertThat(response.status()).isEqualTo(204);
    assertThat(bodyOf(response)).isEmpty();
    assertThat(requests.get(0))
        .startsWith("GET /metrics/cadvisor?a=1&b=%20 HTTP/1.1\r\n")
        .contains("\r\nHost: 127.0.0.1:" + port + "\r\n")
        .contains("\r\nAuthorization: Bearer tok.en-1\r\n")
        .contains("\r\nAccept-Encoding: gzip\r\n");
  }

  @Test
  void aTokenThatCouldEndItsHeaderIsNotSent() throws Exception {
    int port = serve(request -> Reply.of("HTTP/1.1 204 No Content\r\n\r\n"));
    transport = new HttpTransport(TIMEOUT, null, () -> "tok\r\nX-Injected: 1");
    assertThatThrownBy(() -> transport.get(url(port, "/"), TIMEOUT))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("bearer token")
        .hasMessageNotContaining("Injected");
    assertThat(requests).isEmpty();
  }

  @Test
  void aKeptConnectionTheServerDroppedIsReplacedOnce() throws Exception {
    // The server answers once per connection, then closes it without saying so.
    int port =
        serve(request -> Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").thenClose());
    for (int i = 0; i < 3; i++) {
      assertThat(text(transport.get(url(port, "/"), TIMEOUT))).isEqualTo("ok");
      Thread.sleep(50); // the server's close reaches the client's side
    }
    assertThat(connections.get()).isEqualTo(3);
  }

  @Test
  void bodiesToTheConnectionsEndAndConnectionCloseAreNotKept() throws Exception {
    int port =
        serve(
            request ->
                request.startsWith("GET /old ")
                    ? Reply.of("HTTP/1.0 200 OK\r\n\r\nuntil the end").thenClose()
                    : Reply.of(
                            "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye")
                        .thenClose());
    assertThat(text(transport.get(url(port, "/old"), TIMEOUT))).isEqualTo("until the end");
    assertThat(text(transport.get(url(port, "/close"), TIMEOUT))).isEqualTo("bye");
    assertThat(transport.idleConnections()).isZero();
    assertThat(connections.get()).isEqualTo(2);
  }

  @Test
  void aBodyClosedBeforeItsEndClosesItsConnection() throws Exception {
    String text = "x".repeat(100_000);
    int port =
        serve(
            request ->
                Reply.of(
                    "HTTP/1.1 200 OK\r\nContent-Length: " + text.length() + "\r\n\r\n",
                    text.getBytes(StandardCharsets.UTF_8)));
    Transport.Response first = transport.get(url(port, "/"), TIMEOUT);
    try (InputStream body = first.body()) {
      assertThat(body.read(new byte[10])).isEqualTo(10);
    }
    assertThatThrownBy(() -> first.body().read(new byte[10]))
        .hasMessageContaining("the body was closed");
    assertThat(transport.idleConnections()).isZero();
    assertThat(text(transport.get(url(port, "/"), TIMEOUT))).isEqualTo(text);
    assertThat(connections.get()).isEqualTo(2);
  }

  @Test
  void malformedResponsesAreNamed() throws Exception {
    String big = "X-Big: " + "y".repeat(70_000) + "\r\n";
    int port =
        serve(
            request -> {
              String path = request.substring(4, request.indexOf(' ', 4));
              return switch (path) {
                case "/status" -> Reply.of("HTTP/1.1 2x0 OK\r\n\r\n").thenClose();
                case "/ssh" -> Reply.of("SSH-2.0-OpenSSH_9.2\r\n").thenClose();
                case "/header" -> Reply.of("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n").thenClose();
                case "/length" -> Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 1e3\r\n\r\n");
                case "/lengths" ->
                    Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n");
                case "/head" -> Reply.of("HTTP/1.1 200 OK\r\n" + big + "\r\n").thenClose();
                case "/chunk" ->
                    Reply.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
                        .thenClose();
                case "/short" ->
                    Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").thenClose();
                default -> Reply.of("").thenClose();
              };
            });
    assertThatThrownBy(() -> transport.get(url(port, "/status"), TIMEOUT))
        .hasMessageContaining("malformed status line: HTTP/1.1 2x0 OK");
    assertThatThrownBy(() -> transport.get(url(port, "/ssh"), TIMEOUT))
        .hasMessageContaining("malformed status line: SSH-2.0");
    assertThatThrownBy(() -> transport.get(url(port, "/header"), TIMEOUT))
        .hasMessageContaining("malformed response header: no colon here");
    assertThatThrownBy(() -> transport.get(url(port, "/length"), TIMEOUT))
        .hasMessageContaining("malformed Content-Length: 1e3");
    assertThatThrownBy(() -> transport.get(url(port, "/lengths"), TIMEOUT))
        .hasMessageContaining("two different Content-Length headers");
    assertThatThrownBy(() -> transport.get(url(port, "/head"), TIMEOUT))
        .hasMessageContaining("response head larger than 65536 bytes");
    assertThatThrownBy(() -> text(transport.get(url(port, "/chunk"), TIMEOUT)))
        .hasMessageContaining("malformed chunk size: zz");
    assertThatThrownBy(() -> text(transport.get(url(port, "/short"), TIMEOUT)))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("the body ended early");
    assertThatThrownBy(() -> transport.get(url(port, "/nothing"), TIMEOUT))
        .isInstanceOf(EOFException.class)
        .hasMessageContaining("closed before a response");
    assertThat(transport.idleConnections()).isZero();
  }

  @Test
  void aResponseThatNeverComesTimesOutAtTheDeadline() throws Exception {
    int port = serve(request -> new Reply(new byte[0], false, 60_000));
    long started = System.nanoTime();
    assertThatThrownBy(() -> transport.get(url(port, "/"), Duration.ofMillis(300)))
        .isInstanceOf(HttpTimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - started))
        .isGreaterThanOrEqualTo(Duration.ofMillis(250))
        .isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void tlsChecksTheCertificatesHostNameUnlessToldNotTo() throws Exception {
    // A server certificate for localhost only, made by the JDK's keytool.
    Path keystore = dir.resolve("server.p12");
    Path pem = dir.resolve("ca.crt");
    keytool(
        "-genkeypair",
        "-alias",
        "server",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=localhost",
        "-ext",
        "SAN=dns:localhost",
        "-validity",
        "2",
        "-keystore",
        keystore.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        "secret");
    keytool(
        "-exportcert",
        "-rfc",
        "-alias",
        "server",
        "-keystore",
        keystore.toString(),
        "-storepass",
        "secret",
        "-file",
        pem.toString());
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keystore)) {
      keys.load(in, "secret".toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, "secret".toCharArray());
    SSLContext server = SSLContext.getInstance("TLS");
    server.init(kmf.getKeyManagers(), null, null);
    int port =
        serve(
            server.getServerSocketFactory(),
            request -> Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecret"));

    transport = new HttpTransport(TIMEOUT, KubeletCredentials.tls(false, pem), () -> null);
    URI byName = URI.create("https://localhost:" + port + "/");
    URI byAddress = URI.create("https://127.0.0.1:" + port + "/");
    assertThat(text(transport.get(byName, TIMEOUT))).isEqualTo("secret");
    assertThatThrownBy(() -> transport.get(byAddress, TIMEOUT))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("127.0.0.1");
    try (HttpTransport untrusted = new HttpTransport(TIMEOUT)) {
      assertThatThrownBy(() -> untrusted.get(byName, TIMEOUT))
          .isInstanceOf(SSLHandshakeException.class);
    }
    try (HttpTransport insecure =
        new HttpTransport(TIMEOUT, KubeletCredentials.tls(true, null), () -> null)) {
      assertThat(text(insecure.get(byAddress, TIMEOUT))).isEqualTo("secret");
    }
  }

  private static void keytool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
  }
}
