package dev.chargeback.meter.discovery;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * How the meter proves itself to kubelets and checks them: a bearer token (the service account's,
 * re-read as it rotates) and TLS that trusts a CA file, or, as most kubelets serve self-signed
 * certificates, skips verification when told to.
 */
public final class KubeletCredentials {
  /** Where Kubernetes mounts a pod's service account. */
  public static final Path SERVICE_ACCOUNT =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

  private static final long REREAD_MILLIS = 60_000;

  private KubeletCredentials() {}

  /**
   * The TLS context for kubelets.
   *
   * @param caFile PEM certificates to trust; null or missing with {@code insecureSkipVerify} false
   *     means the JDK's CAs
   */
  public static SSLContext tls(boolean insecureSkipVerify, Path caFile) {
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      TrustManager[] trust;
      if (insecureSkipVerify) {
        trust = new TrustManager[] {new TrustAll()};
      } else if (caFile != null && Files.isReadable(caFile)) {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caFile)) {
          int i = 0;
          for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
            store.setCertificateEntry("ca-" + i++, c);
          }
        }
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        trust = tmf.getTrustManagers();
      } else {
        return SSLContext.getDefault();
      }
      context.init(null, trust, new SecureRandom());
      return context;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use kubelet CA file " + caFile + ": " + e, e);
    }
  }

  /**
   * The bearer token: read from {@code tokenFile} (re-read every minute, as projected service
   * account tokens rotate), else {@code fallback} (e.g. the kubeconfig's token), else none.
   */
  public static Supplier<String> token(Path tokenFile, Supplier<String> fallback) {
    return new Supplier<>() {
      private String cached;
      private long readAt = Long.MIN_VALUE;

      @Override
      public synchronized String get() {
        if (tokenFile != null && Files.isReadable(tokenFile)) {
          long now = System.currentTimeMillis();
          if (cached == null || now - readAt > REREAD_MILLIS) {
            try {
              cached = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
              readAt = now;
            } catch (IOException e) {
              // Keep the last token; the kubelet's 401 names the problem if it is stale.
            }
          }
          if (cached != null) {
            return cached;
          }
        }
        return fallback.get();
      }
    };
  }

  /**
   * Accepts any server certificate and host name: kubelets' self-signed serving certificates. An
   * extended trust manager, so the JDK does not add its own host name check.
   */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
