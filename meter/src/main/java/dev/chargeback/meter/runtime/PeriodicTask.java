package dev.chargeback.meter.runtime;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action on its own thread at a fixed delay. A failed run, an {@code Error} included, is
 * logged (once per distinct reason, then again when it changes), counted, and reported to {@code
 * onFailure}; the next run happens on schedule. A {@code ScheduledExecutorService} alone would
 * cancel the task for good at its first exception, leaving a meter alive but no longer doing it.
 */
public final class PeriodicTask implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(PeriodicTask.class);

  /** How long {@link #close()} waits for a run in progress. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(20);

  private final String name;
  private final Runnable action;
  private final Consumer<String> onFailure;
  private final ScheduledExecutorService thread;
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile String lastReason;

  /**
   * Starts running {@code action} after {@code initialDelay}, then {@code delay} after each run.
   *
   * @param onFailure receives {@code name} after each failed run (e.g. to count it in the store)
   */
  public PeriodicTask(
      String name,
      Duration initialDelay,
      Duration delay,
      Runnable action,
      Consumer<String> onFailure) {
    this.name = name;
    this.action = action;
    this.onFailure = onFailure;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().daemon().name(name).unstarted(r));
    thread.scheduleWithFixedDelay(
        this::runOnce, initialDelay.toMillis(), delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void runOnce() {
    try {
      action.run();
      runs.incrementAndGet();
      if (lastReason != null) {
        LOG.info("{} works again", name);
        lastReason = null;
      }
    } catch (RuntimeException | Error e) {
      if (thread.isShutdown()) {
        return; // stopping: an interrupted run is not a failure
      }
      failures.incrementAndGet();
      String reason = e.toString();
      if (!Objects.equals(reason, lastReason)) {
        LOG.error("{} failed: {}; it runs again on schedule", name, reason);
        lastReason = reason;
      }
      try {
        onFailure.accept(name);
      } catch (RuntimeException | Error reportFailure) {
        // Counted in memory; the store may be what failed.
      }
    }
  }

  /** Runs that completed. */
  public long runs() {
    return runs.get();
  }

  /** Runs that failed. */
  public long failures() {
    return failures.get();
  }

  /** Stops the schedule, interrupts a run in progress and waits for it (bounded). */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      if (!thread.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{} still running {} s after stop was asked", name, CLOSE_WAIT.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
