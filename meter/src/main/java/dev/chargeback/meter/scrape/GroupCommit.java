package dev.chargeback.meter.scrape;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.store.RollupStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes scrapes that are ready together as one batch: while one batch is being written, the
 * scrapes that finish queue up, and the first of them writes them all next. Each scrape is still
 * whole in one atomic batch (with the others, or alone when nothing else is waiting), so a crash
 * loses or repeats nothing; a failed batch fails every scrape in it. At hundreds of nodes a round's
 * scrapes arrive together, and a namespace's buckets get one increment per batch instead of one per
 * node (fewer merge operands for RocksDB to write, flush and compact, and fewer fsyncs).
 *
 * <p>With a linger, the first scrape of a batch waits that long for others before writing: scrapes
 * are spread over the interval, so without it they seldom meet (a write takes a millisecond or
 * two). At 200 nodes scraped every 5 s, half a second gathers about twenty, whose namespaces' and
 * the cluster's buckets are then written once instead of twenty times. Waiting changes nothing a
 * crash could see: a scrape not yet written is, like one cut off mid-body, counted by the target's
 * next scrape from its last written samples.
 *
 * <p>A lock and a condition, not {@code synchronized}: the waiters are virtual threads, which
 * {@code Object.wait} pins to their carriers on Java 21.
 */
final class GroupCommit {
  private final RollupStore store;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition written = lock.newCondition();
  private final Condition lingering = lock.newCondition();
  private final long lingerNanos;
  private List<Pending> queue = new ArrayList<>();
  private boolean writing;

  /**
   * @param linger how long the first scrape of a batch waits for others (zero: not at all)
   */
  GroupCommit(RollupStore store, Duration linger) {
    this.store = store;
    this.lingerNanos = linger.toNanos();
  }

  /**
   * Writes {@code ingest}, in a batch with whatever else is ready; throws what that write threw.
   */
  void write(Ingest ingest) {
    Pending mine = new Pending(ingest);
    List<Pending> batch;
    lock.lock();
    try {
      queue.add(mine);
      while (writing && !mine.done) {
        written.awaitUninterruptibly();
      }
      if (mine.done) {
        mine.rethrow();
        return;
      }
      writing = true;
      linger();
      batch = queue;
      queue = new ArrayList<>();
    } finally {
      lock.unlock();
    }
    Throwable failure = null;
    try {
      List<Ingest> ingests = new ArrayList<>(batch.size());
      batch.forEach(p -> ingests.add(p.ingest));
      store.apply(ingests);
    } catch (RuntimeException | Error e) {
      failure = e;
    } finally {
      lock.lock();
      try {
        for (Pending p : batch) {
          p.failure = failure;
          p.done = true;
        }
        writing = false;
        written.signalAll();
      } finally {
        lock.unlock();
      }
    }
    mine.rethrow();
  }

  /**
   * Waits for other scrapes to join the batch, with the lock held (the wait releases it). An
   * interrupt (the meter stopping) ends the wait and the batch is written: its scrapes are done.
   */
  private void linger() {
    long left = lingerNanos;
    try {
      while (left > 0) {
        left = lingering.awaitNanos(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** How many scrapes wait for the batch being written (for tests). */
  int waiting() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  private static final class Pending {
    final Ingest ingest;
    boolean done;
    Throwable failure;

    Pending(Ingest ingest) {
      this.ingest = ingest;
    }

    void rethrow() {
      switch (failure) {
        case null -> {}
        case RuntimeException e -> throw e;
        case Error e -> throw e;
        default -> throw new IllegalStateException(failure);
      }
    }
  }
}
