package dev.chargeback.meter.delivery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Each final bill POSTed as {@code multipart/form-data}: part {@code bill} (the JSON bill) and part
 * {@code pdf}. Signed: {@code X-Chargeback-Signature: sha256=HEX} is the HMAC-SHA256, under the
 * shared key, of {@code TIMESTAMP + "." + BODY}, with {@code X-Chargeback-Timestamp} (epoch
 * seconds) so a receiver can refuse replays; {@code Idempotency-Key} is the same on every attempt
 * of a bill. Any 2xx answer is accepted.
 */
public final class WebhookChannel implements Channel {
  private final URI url;
  private final byte[] key;
  private final InstantSource clock;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  public WebhookChannel(URI url, byte[] key, InstantSource clock) {
    this.url = url;
    this.key = key.clone();
    this.clock = clock;
  }

  @Override
  public String name() {
    return "webhook";
  }

  @Override
  public void send(Parcel p) throws IOException {
    String boundary = "chargeback-" + p.key().hashCode() + "-" + p.bill().billNumber();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    part(body, boundary, "bill", "bill.json", "application/json", p.json());
    part(body, boundary, "pdf", p.bill().billNumber() + ".pdf", "application/pdf", p.pdf());
    body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
    byte[] bytes = body.toByteArray();
    String timestamp = Long.toString(clock.instant().getEpochSecond());
    HttpRequest request =
        HttpRequest.newBuilder(url)
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "multipart/form-data; boundary=" + boundary)
            .header("Idempotency-Key", p.key())
            .header("X-Chargeback-Timestamp", timestamp)
            .header("X-Chargeback-Signature", "sha256=" + sign(key, timestamp, bytes))
            .POST(HttpRequest.BodyPublishers.ofByteArray(bytes))
            .build();
    HttpResponse<Void> r;
    try {
      r = http.send(request, HttpResponse.BodyHandlers.discarding());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    if (r.statusCode() / 100 != 2) {
      throw new IOException(url + " answered HTTP " + r.statusCode());
    }
  }

  /** The signature a receiver recomputes: hex HMAC-SHA256 of {@code timestamp + "." + body}. */
  public static String sign(byte[] key, String timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((timestamp + ".").getBytes(StandardCharsets.US_ASCII));
      return HexFormat.of().formatHex(mac.doFinal(body));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private static void part(
      ByteArrayOutputStream out,
      String boundary,
      String name,
      String file,
      String type,
      byte[] content)
      throws IOException {
    out.write(
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\""
                + name
                + "\"; filename=\""
                + file
                + "\"\r\nContent-Type: "
                + type
                + "\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8));
    out.write(content);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
  }
}
