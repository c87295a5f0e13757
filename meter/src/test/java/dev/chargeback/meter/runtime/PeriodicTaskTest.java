package dev.chargeback.meter.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class PeriodicTaskTest {
  @Test
  void aRunThatThrowsAnErrorIsCountedAndTheNextRunHappens() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    CountDownLatch ranAgain = new CountDownLatch(2);
    List<String> reported = new CopyOnWriteArrayList<>();
    PeriodicTask task;
    try (PeriodicTask running =
        new PeriodicTask(
            "retention",
            Duration.ZERO,
            Duration.ofMillis(5),
            () -> {
              if (calls.incrementAndGet() == 1) {
                throw new OutOfMemoryError("injected");
              }
              if (calls.get() == 2) {
                throw new IllegalStateException("injected");
              }
              ranAgain.countDown();
            },
            reported::add)) {
      task = running;
      assertThat(ranAgain.await(60, TimeUnit.SECONDS)).as("runs after the failures").isTrue();
    }
    // Closed, so no run is in progress: the counts are final.
    assertThat(task.failures()).isEqualTo(2);
    assertThat(task.runs()).isGreaterThanOrEqualTo(2);
    assertThat(reported).containsExactly("retention", "retention");
  }

  @Test
  void closeWaitsForTheRunInProgress() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger finished = new AtomicInteger();
    PeriodicTask task =
        new PeriodicTask(
            "slow",
            Duration.ZERO,
            Duration.ofHours(1),
            () -> {
              started.countDown();
              long until = System.nanoTime() + 200_000_000L;
              while (System.nanoTime() < until) {
                Thread.onSpinWait(); // not interruptible, like a RocksDB write
              }
              finished.incrementAndGet();
            },
            name -> {});
    assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
    task.close();
    assertThat(finished.get()).as("the run completed before close returned").isEqualTo(1);
  }
}
