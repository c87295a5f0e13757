package dev.chargeback.exporter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chargeback.exporter.harness.ChargebackProcess;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS from a mounted PEM certificate (as a Kubernetes TLS secret holds it), on the real program.
 */
class TlsIT {
  @TempDir Path dir;

  private void openssl(String... args) throws Exception {
    Process p =
        new ProcessBuilder(args)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("openssl.log").toFile())
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(Files.readString(dir.resolve("openssl.log"))).isZero();
  }

  private static SSLContext trusting(Path cert) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (InputStream in = Files.newInputStream(cert)) {
      store.setCertificateEntry(
          "chargeback", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return ssl;
  }

  @Test
  void servesHttpsFromAMountedCertificateOnly() throws Exception {
    openssl(
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "tls.key",
        "-out",
        "tls.crt",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=DNS:localhost");
    int port = ChargebackProcess.freePort();
    Path log = dir.resolve("standalone.log");
    Process standalone =
        ChargebackProcess.start(
            log,
            "standalone",
            "--data",
            dir.resolve("data").toString(),
            "--listen",
            "127.0.0.1:" + port,
            "--kubernetes.discovery",
            "off",
            "--tls.cert-file",
            dir.resolve("tls.crt").toString(),
            "--tls.key-file",
            dir.resolve("tls.key").toString());
    try (HttpClient https =
            HttpClient.newBuilder().sslContext(trusting(dir.resolve("tls.crt"))).build();
        HttpClient plain = HttpClient.newHttpClient()) {
      URI healthz = URI.create("https://localhost:" + port + "/healthz");
      HttpResponse<String> ok = null;
      long deadline = System.currentTimeMillis() + 60_000;
      while (ok == null) {
        assertThat(standalone.isAlive()).as(Files.readString(log)).isTrue();
        try {
          ok =
              https.send(
                  HttpRequest.newBuilder(healthz).build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
          assertThat(System.currentTimeMillis()).as(Files.readString(log)).isLessThan(deadline);
          Thread.sleep(300);
        }
      }
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(
              https
                  .send(
                      HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/metrics"))
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body())
          .contains("chargeback_build_info");
      // No plain HTTP on the same port.
      try {
        HttpResponse<String> r =
            plain.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isNotEqualTo(200);
      } catch (java.io.IOException expected) {
        // the TLS connector drops a plain request
      }
      // An untrusted client fails the handshake.
      try (HttpClient stranger = HttpClient.newHttpClient()) {
        assertThatThrownBy(
                () ->
                    stranger.send(
                        HttpRequest.newBuilder(healthz).build(),
                        HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
      }
    } finally {
      standalone.destroy();
      standalone.waitFor(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void aPkcs1KeyIsRefusedWithTheConversionToRun() throws Exception {
    openssl("openssl", "genrsa", "-traditional", "-out", "rsa.key", "2048");
    openssl(
        "openssl",
        "req",
        "-x509",
        "-key",
        "rsa.key",
        "-out",
        "rsa.crt",
        "-days",
        "1",
        "-subj",
        "/CN=localhost");
    Path log = dir.resolve("refused.log");
    Process p =
        ChargebackProcess.start(
            log,
            "standalone",
            "--kubernetes.discovery",
            "off",
            "--data",
            dir.resolve("refused").toString(),
            "--listen",
            "127.0.0.1:0",
            "--tls.cert-file",
            dir.resolve("rsa.crt").toString(),
            "--tls.key-file",
            dir.resolve("rsa.key").toString());
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(1);
    assertThat(Files.readString(log))
        .contains("is PKCS#1/SEC1; convert it with `openssl pkcs8 -topk8 -nocrypt`");
  }
}
