package dev.chargeback.exporter.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.chargeback.meter.store.RollupStore;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Rendered answers (a bill's PDF, JSON or CSV; the metrics), reused while the store has not moved
 * on: an answer made at store sequence S serves every request that finds the store still at S
 * within the same {@code window} of the clock (an open month's bill also depends on the clock: its
 * period, coverage and forecast run to now). A final answer (a closed month's bill) is reused
 * whatever the store does. Bounded by the bytes held; concurrent requests for the same missing
 * answer make it once.
 */
public final class Answers {
  /** A rendered answer and its content type. */
  public record Answer(byte[] body, String contentType) {}

  private record Made(long sequence, long window, boolean fin, Answer answer) {}

  private final RollupStore store;
  private final InstantSource clock;
  private final long windowMillis;
  private final Cache<String, Made> cache;

  /**
   * @param clock the clock the answers are computed with
   * @param maxBytes at most this many bytes of answers are kept
   */
  public Answers(RollupStore store, InstantSource clock, Duration window, long maxBytes) {
    this.store = store;
    this.clock = clock;
    this.windowMillis = window.toMillis();
    this.cache =
        Caffeine.newBuilder()
            .maximumWeight(maxBytes)
            .weigher((String k, Made m) -> k.length() + m.answer().body().length)
            .build();
  }

  /**
   * The answer for {@code key}: the one made before if the store is where it was then and the clock
   * in the same window (or it is final), else {@code make}'s, kept for the next request.
   *
   * @param fin whether the answer can never change (a closed month's bill)
   */
  public Answer get(String key, boolean fin, Supplier<Answer> make) {
    long sequence = store.sequence();
    long window = Math.floorDiv(clock.millis(), windowMillis);
    return cache
        .asMap()
        .compute(
            key,
            (k, old) ->
                old != null && (old.fin() || old.sequence() == sequence && old.window() == window)
                    ? old
                    : new Made(sequence, window, fin, make.get()))
        .answer();
  }

  private final Map<String, ReentrantLock> making = new ConcurrentHashMap<>();

  /**
   * As {@link #get} (an answer that is never final), except that while one request makes the new
   * answer, the others get the one before it at once instead of queueing behind it: for {@code
   * /metrics}, whose scrapers gain nothing by waiting for one render (a scrape that overlaps a
   * write may see either side of it). Under 100 clients on two cores a render took up to 300 ms of
   * wall time, and every scrape waited that long. With no answer before, they wait for the first.
   */
  public Answer getOrPrevious(String key, Supplier<Answer> make) {
    long sequence = store.sequence();
    long window = Math.floorDiv(clock.millis(), windowMillis);
    Made old = cache.getIfPresent(key);
    if (old != null && old.sequence() == sequence && old.window() == window) {
      return old.answer();
    }
    ReentrantLock lock = making.computeIfAbsent(key, k -> new ReentrantLock());
    if (old == null) {
      lock.lock();
    } else if (!lock.tryLock()) {
      return old.answer();
    }
    try {
      return get(key, false, make);
    } finally {
      lock.unlock();
    }
  }
}
