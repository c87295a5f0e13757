package dev.chargeback.meter.scrape;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BodyBufferTest {
  /** What the body asked of the client. */
  private static final class Demand implements Flow.Subscription {
    final List<Long> requests = new ArrayList<>();
    boolean cancelled;

    @Override
    public synchronized void request(long n) {
      requests.add(n);
    }

    @Override
    public synchronized void cancel() {
      cancelled = true;
    }

    synchronized long total() {
      return requests.stream().mapToLong(Long::longValue).sum();
    }
  }

  private static List<ByteBuffer> read(String text) {
    return List.of(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static CompletableFuture<String> readAll(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  @Test
  void aBodyIsReadWholeInOrderAndTheClientIsAskedAheadOfTheReader() throws Exception {
    BodyBuffer body = new BodyBuffer();
    Demand demand = new Demand();
    body.onSubscribe(demand);
    assertThat(demand.requests).containsExactly((long) BodyBuffer.WINDOW);
    CompletableFuture<String> text = readAll(body.getBody().toCompletableFuture().join());
    body.onNext(read("a 1\n"));
    body.onNext(List.of(ByteBuffer.wrap("b 2\n".getBytes()), ByteBuffer.wrap("c 3\n".getBytes())));
    body.onNext(read("d 4\n"));
    body.onComplete();
    assertThat(text.get()).isEqualTo("a 1\nb 2\nc 3\nd 4\n");
    // Taking a read while more could come asks for one more: the window stays full.
    assertThat(demand.total()).isLessThanOrEqualTo(BodyBuffer.WINDOW + 3L);
  }

  @Test
  void aFullWindowIsReadBeforeTheBodyEndsAndTheReaderKeepsTheClientGoing() throws Exception {
    BodyBuffer body = new BodyBuffer();
    Demand demand = new Demand();
    body.onSubscribe(demand);
    for (int i = 0; i < BodyBuffer.WINDOW; i++) {
      body.onNext(read("x"));
    }
    byte[] first = new byte[BodyBuffer.WINDOW];
    int n = 0;
    while (n < first.length) {
      n += body.read(first, n, first.length - n);
    }
    assertThat(new String(first, StandardCharsets.UTF_8)).isEqualTo("x".repeat(BodyBuffer.WINDOW));
    assertThat(demand.total()).isGreaterThan(BodyBuffer.WINDOW);
    body.onNext(read("end"));
    body.onComplete();
    assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("end");
  }

  @Test
  void aBodyThatTricklesIsReadAsItComesAfterThePatience() throws Exception {
    BodyBuffer body = new BodyBuffer();
    body.onSubscribe(new Demand());
    body.onNext(read("first line\n"));
    // Never complete, window far from full: the reader still gets what came.
    byte[] got = new byte[64];
    int n = body.read(got, 0, got.length);
    assertThat(new String(got, 0, n, StandardCharsets.UTF_8)).isEqualTo("first line\n");
    CompletableFuture<String> rest = readAll(body);
    body.onNext(read("second\n"));
    body.onComplete();
    assertThat(rest.get()).isEqualTo("second\n");
  }

  @Test
  void closingWakesAWaitingReaderAndCancelsTheExchange() throws Exception {
    BodyBuffer body = new BodyBuffer();
    Demand demand = new Demand();
    body.onSubscribe(demand);
    CompletableFuture<String> text = readAll(body);
    Thread.sleep(2 * BodyBuffer.PATIENCE_NANOS / 1_000_000);
    body.close();
    assertThatThrownBy(text::get).hasRootCauseMessage("the body was closed");
    assertThat(demand.cancelled).isTrue();
  }

  @Test
  void aFailedExchangeFailsTheReader() {
    BodyBuffer body = new BodyBuffer();
    body.onSubscribe(new Demand());
    body.onNext(read("partial"));
    body.onError(new IOException("connection reset"));
    assertThatThrownBy(body::readAllBytes)
        .isInstanceOf(IOException.class)
        .hasMessage("connection reset");
  }

  @Test
  void aBodyClosedBeforeTheClientSubscribedCancelsAtOnce() {
    BodyBuffer body = new BodyBuffer();
    body.close();
    Demand demand = new Demand();
    body.onSubscribe(demand);
    assertThat(demand.cancelled).isTrue();
    assertThat(demand.requests).isEmpty();
  }
}
