package dev.chargeback.exporter.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AnswersTest {
  private final RollupStore store =
      new RollupStore(new MemoryKeyValueStore(), new BillingCalendar(ZoneId.of("UTC")));
  private final AtomicLong millis = new AtomicLong(1_800_000_000_000L);
  private final InstantSource clock = () -> Instant.ofEpochMilli(millis.get());
  private final Answers answers = new Answers(store, clock, Duration.ofSeconds(15), 1 << 20);
  private final AtomicInteger made = new AtomicInteger();

  private Answers.Answer ask(String key, boolean fin) {
    return answers.get(
        key,
        fin,
        () ->
            new Answers.Answer(
                ("answer " + made.incrementAndGet()).getBytes(StandardCharsets.UTF_8),
                "text/plain"));
  }

  private void write() {
    long t = millis.get();
    store.apply(
        new Ingest(
            "t",
            0,
            Long.MIN_VALUE,
            0,
            List.of(new Usage("a", "Deployment/x", "", Resource.CPU, t - 60_000, t, 1.0)),
            Map.of(),
            0));
  }

  /** An answer made once {@code release} opens, having said so on {@code making}. */
  private java.util.function.Supplier<Answers.Answer> slow(
      java.util.concurrent.CountDownLatch making, java.util.concurrent.CountDownLatch release) {
    return () -> {
      making.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
      return new Answers.Answer(
          ("answer " + made.incrementAndGet()).getBytes(StandardCharsets.UTF_8), "text/plain");
    };
  }

  @Test
  void whileOneRequestMakesANewAnswerTheOthersGetThePreviousAtOnce() throws Exception {
    var making = new java.util.concurrent.CountDownLatch(1);
    var release = new java.util.concurrent.CountDownLatch(1);
    var first = slow(making, release);
    // No answer yet: a second request waits for the first one's.
    Thread maker = Thread.ofVirtual().start(() -> answers.getOrPrevious("m", first));
    making.await();
    var waiting =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> answers.getOrPrevious("m", first));
    Thread.sleep(100);
    assertThat(waiting).isNotDone();
    release.countDown();
    maker.join();
    assertThat(waiting.get().body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 1");
    assertThat(made).hasValue(1);

    // The store moves on: one request makes answer 2; meanwhile others get answer 1 at once.
    write();
    var making2 = new java.util.concurrent.CountDownLatch(1);
    var release2 = new java.util.concurrent.CountDownLatch(1);
    var second = slow(making2, release2);
    var maker2 =
        java.util.concurrent.CompletableFuture.supplyAsync(
            () -> answers.getOrPrevious("m", second));
    making2.await();
    for (int i = 0; i < 3; i++) {
      assertThat(answers.getOrPrevious("m", second).body())
          .asString(StandardCharsets.UTF_8)
          .isEqualTo("answer 1");
    }
    release2.countDown();
    assertThat(maker2.get().body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 2");
    // Made, it is every request's answer.
    assertThat(answers.getOrPrevious("m", second).body())
        .asString(StandardCharsets.UTF_8)
        .isEqualTo("answer 2");
    assertThat(made).hasValue(2);
  }

  @Test
  void anAnswerIsReusedUntilTheStoreMovesOnOrTheClockLeavesItsWindow() {
    millis.set(Math.floorDiv(millis.get(), 15_000) * 15_000);
    assertThat(ask("k", false).body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 1");
    millis.addAndGet(14_000);
    assertThat(ask("k", false).body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 1");
    assertThat(ask("other", false).body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 2");
    write();
    assertThat(ask("k", false).body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 3");
    millis.addAndGet(1_000); // the next 15 s window
    assertThat(ask("k", false).body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 4");
    assertThat(made).hasValue(4);
  }

  @Test
  void aFinalAnswerOutlivesWritesAndTimeAndAFailureIsNotKept() {
    assertThat(ask("closed", true).body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 1");
    write();
    millis.addAndGet(3_600_000);
    assertThat(ask("closed", true).body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 1");
    assertThatThrownBy(
            () ->
                answers.get(
                    "broken",
                    false,
                    () -> {
                      throw new IllegalStateException("no bill");
                    }))
        .hasMessage("no bill");
    assertThat(ask("broken", false).body()).asString(StandardCharsets.UTF_8).isEqualTo("answer 2");
  }
}
