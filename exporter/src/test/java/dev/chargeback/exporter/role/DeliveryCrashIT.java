package dev.chargeback.exporter.role;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.meter.delivery.WebhookChannel;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real program (the demo, which closes a month at start) delivers its final bills to a signed
 * webhook here and is SIGKILLed in the middle of the run, while the receiver holds the second
 * bill's request. Restarted on the same data, it delivers the rest: every bill arrives, each
 * request's signature checks out, and the only repeat is the interrupted bill, under the same
 * Idempotency-Key, which is how the receiver drops it.
 */
class DeliveryCrashIT {
  private static final byte[] SECRET = "k3y".getBytes(StandardCharsets.UTF_8);

  @TempDir Path dir;
  private HttpServer receiver;
  private Process demo;

  /** Idempotency keys received, in order, and whether each signature checked out. */
  private final List<String> keys = new CopyOnWriteArrayList<>();

  private final List<Boolean> signed = new CopyOnWriteArrayList<>();

  @Test
  void aKillInTheMiddleOfADeliveryRunLosesNoBillAndRepeatsOnlyUnderTheSameKey() throws Exception {
    CountDownLatch secondArrived = new CountDownLatch(1);
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    receiver.createContext(
        "/bills",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          String ts = exchange.getRequestHeaders().getFirst("X-Chargeback-Timestamp");
          signed.add(
              ("sha256=" + WebhookChannel.sign(SECRET, ts, body))
                  .equals(exchange.getRequestHeaders().getFirst("X-Chargeback-Signature")));
          keys.add(exchange.getRequestHeaders().getFirst("Idempotency-Key"));
          if (keys.size() == 2) {
            // Hold the second request until the sender is dead.
            secondArrived.countDown();
            try {
              Thread.sleep(3_000);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    receiver.start();
    Path secret = dir.resolve("webhook-secret");
    Files.write(secret, SECRET);
    Path data = dir.resolve("data");

    demo = start(data, "first.log");
    assertThat(secondArrived.await(180, TimeUnit.SECONDS))
        .as("two deliveries: %s", Files.readString(dir.resolve("first.log")))
        .isTrue();
    demo.destroyForcibly();
    assertThat(demo.waitFor(20, TimeUnit.SECONDS)).isTrue();
    List<String> beforeKill = List.copyOf(keys);

    // The final bills the demo's month close made (one month, or two after the 3rd of a month).
    long bills =
        Files.readAllLines(dir.resolve("first.log")).stream()
            .map(
                l ->
                    java.util.regex.Pattern.compile("closed \\d{4}-\\d{2}: (\\d+) final bill")
                        .matcher(l))
            .filter(java.util.regex.Matcher::find)
            .mapToLong(m -> Long.parseLong(m.group(1)))
            .sum();
    assertThat(bills).isGreaterThanOrEqualTo(4);

    demo = start(data, "second.log");
    long deadline = System.currentTimeMillis() + 180_000;
    while (keys.stream().distinct().count() < bills) {
      assertThat(demo.isAlive()).as(Files.readString(dir.resolve("second.log"))).isTrue();
      assertThat(System.currentTimeMillis())
          .as("all bills delivered: %s", keys)
          .isLessThan(deadline);
      Thread.sleep(250);
    }
    Thread.sleep(3_000);
    assertThat(signed).allMatch(b -> b);
    assertThat(keys.stream().distinct().count()).isEqualTo(bills);
    // The first bill was recorded as sent before the kill: never again. The second, in flight
    // when the sender died, comes again under its key; nothing else repeats.
    assertThat(keys.stream().filter(k -> k.equals(beforeKill.get(0)))).hasSize(1);
    assertThat(keys.stream().filter(k -> k.equals(beforeKill.get(1)))).hasSize(2);
    assertThat(keys).hasSize((int) bills + 1);
  }

  private Process start(Path data, String log) throws Exception {
    return ChargebackProcess.start(
        dir.resolve(log),
        "demo",
        "--data",
        data.toString(),
        "--listen",
        "127.0.0.1:" + ChargebackProcess.freePort(),
        "--delivery.channels",
        "webhook",
        "--delivery.webhook.url",
        "http://127.0.0.1:" + receiver.getAddress().getPort() + "/bills",
        "--delivery.webhook.secretFile",
        dir.resolve("webhook-secret").toString());
  }

  @AfterEach
  void stop() throws Exception {
    if (demo != null) {
      demo.destroyForcibly();
      demo.waitFor(20, TimeUnit.SECONDS);
    }
    if (receiver != null) {
      receiver.stop(0);
    }
  }
}
