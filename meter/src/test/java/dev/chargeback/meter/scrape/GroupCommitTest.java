package dev.chargeback.meter.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Point;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.Batch;
import dev.chargeback.meter.store.Family;
import dev.chargeback.meter.store.KeyValueStore;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.store.StoreException;
import dev.chargeback.meter.time.BillingCalendar;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Scrapes that are ready while a batch is written go together into the next one, whole. */
class GroupCommitTest {
  private static final long T = 1_780_000_000_000L;

  /** A store whose writes wait at a gate, and can be made to fail; it counts its batches. */
  private static final class GatedStore implements KeyValueStore {
    final MemoryKeyValueStore delegate = new MemoryKeyValueStore();
    final List<Integer> batches = new CopyOnWriteArrayList<>();
    final CountDownLatch entered = new CountDownLatch(1);
    volatile CountDownLatch gate = new CountDownLatch(0);
    final AtomicReference<RuntimeException> failNext = new AtomicReference<>();

    @Override
    public Batch batch(int bytes) {
      return delegate.batch(bytes);
    }

    @Override
    public void write(Batch writes) {
      entered.countDown();
      try {
        gate.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      RuntimeException failure = failNext.getAndSet(null);
      if (failure != null) {
        throw failure;
      }
      delegate.write(writes);
      batches.add(writes.count());
    }

    @Override
    public byte[] get(Family family, byte[] key) {
      return delegate.get(family, key);
    }

    @Override
    public void scan(Family family, byte[] from, byte[] to, Visitor visitor) {
      delegate.scan(family, from, to, visitor);
    }

    @Override
    public long sequence() {
      return delegate.sequence();
    }

    @Override
    public boolean writable() {
      return true;
    }

    @Override
    public void checkpoint(Path dir) {}

    @Override
    public void close() {}
  }

  private static Ingest scrape(int node) {
    long to = T + 30_000;
    return new Ingest(
        "cadvisor:n" + node,
        to,
        T,
        30_000,
        List.of(new Usage("team-a", "Deployment/web", "n" + node, Resource.CPU, T, to, 1.5)),
        Map.of((long) node, new Point(node, to)),
        1);
  }

  @Test
  void scrapesReadyDuringAWriteAreWrittenTogetherAndAFailedBatchFailsEachOfThem() throws Exception {
    GatedStore kv = new GatedStore();
    RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));
    GroupCommit commits = new GroupCommit(store, java.time.Duration.ZERO);
    kv.batches.clear();
    kv.gate = new CountDownLatch(1);

    Map<Integer, Throwable> outcomes = new ConcurrentHashMap<>();
    Thread first =
        Thread.ofVirtual().start(() -> outcomes.put(0, run(() -> commits.write(scrape(0)))));
    assertThat(kv.entered.await(30, TimeUnit.SECONDS)).isTrue();
    // Nine more finish while the first is being written: they wait, then go as one batch.
    List<Thread> others = writeEach(commits, 9, outcomes);
    awaitWaiting(commits, 9);
    kv.gate.countDown();
    first.join();
    for (Thread t : others) {
      t.join();
    }
    assertThat(kv.batches).hasSize(2);
    assertThat(outcomes.values()).allMatch(o -> o == NONE);
    RollupKey ns = RollupKey.namespace("team-a", Resource.CPU);
    assertThat(store.totals(Scope.NAMESPACE).get(ns).sum()).isEqualTo(15.0);
    assertThat(store.series().of("cadvisor:n7").asMap()).containsOnlyKeys(7L);
    assertThat(store.health().samples()).isEqualTo(10);

    // A batch that fails fails every scrape in it, and writes nothing of any.
    kv.failNext.set(new StoreException("disk full"));
    Throwable failed = run(() -> commits.write(scrape(10)));
    assertThat(failed).isInstanceOf(StoreException.class).hasMessage("disk full");
    assertThat(store.series().of("cadvisor:n10").asMap()).isEmpty();
    assertThat(store.totals(Scope.NAMESPACE).get(ns).sum()).isEqualTo(15.0);
  }

  @Test
  void withALingerScrapesReadyWithinItAreOneBatchAndAStopWritesItAtOnce() throws Exception {
    GatedStore kv = new GatedStore();
    RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));
    // A linger far longer than the test: only the interrupt (the meter stopping) ends it.
    GroupCommit commits = new GroupCommit(store, java.time.Duration.ofHours(1));
    kv.batches.clear();
    Map<Integer, Throwable> outcomes = new ConcurrentHashMap<>();
    boolean[] stillInterrupted = {false};
    Thread first =
        Thread.ofVirtual()
            .start(
                () -> {
                  outcomes.put(0, run(() -> commits.write(scrape(0))));
                  stillInterrupted[0] = Thread.currentThread().isInterrupted();
                });
    // The first is lingering (it waits in the queue it will write) before the others come.
    awaitWaiting(commits, 1);
    List<Thread> others = writeEach(commits, 4, outcomes);
    awaitWaiting(commits, 5);
    assertThat(kv.batches).isEmpty();
    first.interrupt();
    first.join();
    for (Thread t : others) {
      t.join();
    }
    assertThat(kv.batches).hasSize(1);
    assertThat(outcomes).hasSize(5);
    assertThat(outcomes.values()).allMatch(o -> o == NONE);
    assertThat(stillInterrupted[0]).as("the interrupt is kept for the scrape loop").isTrue();
    RollupKey ns = RollupKey.namespace("team-a", Resource.CPU);
    assertThat(store.totals(Scope.NAMESPACE).get(ns).sum()).isEqualTo(7.5);

    // Alone, a scrape is written once its linger is over.
    GroupCommit brief = new GroupCommit(store, java.time.Duration.ofMillis(20));
    assertThat(run(() -> brief.write(scrape(5)))).isSameAs(NONE);
    assertThat(kv.batches).hasSize(2);
  }

  /** Scrapes 1 to {@code count}, each written from its own virtual thread. */
  private static List<Thread> writeEach(
      GroupCommit commits, int count, Map<Integer, Throwable> outcomes) {
    return java.util.stream.IntStream.rangeClosed(1, count)
        .mapToObj(
            n ->
                Thread.ofVirtual()
                    .start(() -> outcomes.put(n, run(() -> commits.write(scrape(n))))))
        .toList();
  }

  private static void awaitWaiting(GroupCommit commits, int scrapes) throws InterruptedException {
    while (commits.waiting() < scrapes) {
      Thread.sleep(5);
    }
  }

  private static final Throwable NONE = new Throwable("none");

  private static Throwable run(Runnable r) {
    try {
      r.run();
      return NONE;
    } catch (RuntimeException | Error e) {
      return e;
    }
  }
}
