package dev.chargeback.exporter.http;

import dev.chargeback.meter.config.ConfigException;
import io.javalin.config.JavalinConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.function.Consumer;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * HTTPS on the listener from a mounted certificate: PEM files as a Kubernetes TLS secret holds them
 * ({@code tls.crt}, a chain; {@code tls.key}, PKCS#8). Plain HTTP is not served then.
 */
public final class Tls {
  private Tls() {}

  /** Javalin configuration serving HTTPS only on {@code listen} (HOST:PORT). */
  public static Consumer<JavalinConfig> listener(Path certFile, Path keyFile, String listen) {
    KeyStore keys = keyStore(certFile, keyFile);
    int colon = listen.lastIndexOf(':');
    String host = listen.substring(0, colon);
    int port = Integer.parseInt(listen.substring(colon + 1));
    return cfg ->
        cfg.jetty.addConnector(
            (server, http) -> {
              SslContextFactory.Server ssl = new SslContextFactory.Server();
              ssl.setKeyStore(keys);
              ssl.setKeyStorePassword("");
              HttpConfiguration https = new HttpConfiguration(http);
              SecureRequestCustomizer secure = new SecureRequestCustomizer();
              // Clients reach the service by its Service name, not by what the certificate says.
              secure.setSniHostCheck(false);
              https.addCustomizer(secure);
              ServerConnector connector =
                  new ServerConnector(
                      server,
                      new SslConnectionFactory(ssl, "http/1.1"),
                      new HttpConnectionFactory(https));
              connector.setHost(host.isEmpty() ? "0.0.0.0" : host);
              connector.setPort(port);
              return connector;
            });
  }

  static KeyStore keyStore(Path certFile, Path keyFile) {
    try {
      Certificate[] chain;
      try (InputStream in = Files.newInputStream(certFile)) {
        chain =
            CertificateFactory.getInstance("X.509")
                .generateCertificates(in)
                .toArray(new Certificate[0]);
      }
      if (chain.length == 0) {
        throw new ConfigException("config key 'tls.certFile': no certificate in " + certFile);
      }
      String pem = Files.readString(keyFile);
      if (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")) {
        throw new ConfigException(
            "config key 'tls.keyFile': "
                + keyFile
                + " is PKCS#1/SEC1; convert it with `openssl pkcs8 -topk8 -nocrypt` (cert-manager:"
                + " privateKey.encoding: PKCS8)");
      }
      String base64 = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
      byte[] der = Base64.getDecoder().decode(base64);
      PrivateKey key = null;
      for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
        try {
          key = KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
          break;
        } catch (GeneralSecurityException e) {
          // try the next algorithm
        }
      }
      if (key == null) {
        throw new ConfigException("config key 'tls.keyFile': not an RSA, EC or Ed25519 PKCS#8 key");
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      store.setKeyEntry("chargeback", key, new char[0], chain);
      return store;
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new ConfigException(
          "config key 'tls': cannot use " + certFile + " and " + keyFile + ": " + e.getMessage());
    }
  }
}
