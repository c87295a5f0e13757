package dev.chargeback.meter.scrape;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes every target once per interval, each on its own virtual thread, so a slow target never
 * delays the others. Failures of any kind (an {@code Error} included) are logged and counted per
 * target, and the next interval runs: a loop never ends while the meter is open. {@link #close()}
 * stops the loops and waits (bounded) for scrapes in flight, so nothing writes to the store after
 * it returns.
 */
public final class ScrapeLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScrapeLoop.class);

  private final Meter meter;
  private final Scraper scraper;
  private final InstantSource clock;
  private final Duration interval;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
  private final Map<String, Running> running = new HashMap<>();
  private volatile boolean open = true;

  private record Running(Target target, Future<?> loop) {}

  public ScrapeLoop(Meter meter, Scraper scraper, InstantSource clock, Duration interval) {
    this.meter = meter;
    this.scraper = scraper;
    this.clock = clock;
    this.interval = interval;
  }

  /** Starts scraping {@code targets}; returns at once. */
  public void start(List<Target> targets) {
    update(targets);
  }

  /**
   * Scrapes exactly {@code targets} from now on: new ones start, removed ones stop (a scrape in
   * flight is abandoned, nothing of it is stored), changed ones (same name, new URL) restart.
   */
  public synchronized void update(Collection<Target> targets) {
    if (!open) {
      return;
    }
    Map<String, Target> wanted = new HashMap<>();
    for (Target t : targets) {
      wanted.put(t.name(), t);
    }
    for (var it = running.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      Target next = wanted.get(e.getKey());
      if (next == null || !next.equals(e.getValue().target())) {
        e.getValue().loop().cancel(true);
        it.remove();
        if (next == null) {
          meter.forget(e.getValue().target());
          LOG.info("stopped metering {}", e.getKey());
        }
      }
    }
    for (Target t : wanted.values()) {
      if (!running.containsKey(t.name())) {
        running.put(t.name(), new Running(t, threads.submit(() -> loop(t))));
      }
    }
  }

  /** The targets being scraped. */
  public synchronized List<Target> targets() {
    return running.values().stream().map(Running::target).toList();
  }

  /**
   * Scrapes {@code target} once per interval at its own offset within the interval (from its name,
   * as Prometheus spreads targets), so hundreds of targets are not all in flight at once: CPU and
   * buffer memory stay flat instead of spiking at each interval boundary.
   */
  private void loop(Target target) {
    long period = interval.toMillis();
    long offset = Math.floorMod(target.name().hashCode() * 0x9E3779B97F4A7C15L, period);
    // The first scrape waits for its slot too: a meter starting with hundreds of targets would
    // otherwise hold all their bodies at once (200 kubelets ran a 64 MiB heap out of memory).
    while (open && !Thread.currentThread().isInterrupted()) {
      long now = System.currentTimeMillis();
      long next = Math.floorDiv(now - offset, period) * period + period + offset;
      try {
        Thread.sleep(Math.max(1, next - now));
      } catch (InterruptedException e) {
        return;
      }
      scrapeOnce(target);
    }
  }

  /** How long {@link #close()} waits for scrapes in flight. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(20);

  /** One scrape of one target, with its failure counted and logged. */
  public void scrapeOnce(Target target) {
    try {
      scraper.scrape(target, meter, clock.millis());
    } catch (ScrapeException e) {
      if (!open || Thread.currentThread().isInterrupted()) {
        return; // stopping, or the target was removed: an abandoned scrape is not an error
      }
      errors.computeIfAbsent(target.name(), k -> new AtomicLong()).incrementAndGet();
      LOG.warn("scrape of {} failed: {}", target.name(), e.getMessage());
      try {
        meter.scrapeFailed(target);
      } catch (RuntimeException storeFailure) {
        if (!storeFailing()) {
          LOG.warn("cannot record the failed scrape: {}", storeFailure.getMessage());
        }
      }
    } catch (RuntimeException e) {
      if (!open) {
        return;
      }
      errors.computeIfAbsent(target.name(), k -> new AtomicLong()).incrementAndGet();
      if (!storeFailing()) {
        LOG.error("ingest of {} failed: {}", target.name(), e.getMessage());
      }
    } catch (Error e) {
      // An OutOfMemoryError or a library's Error: this round is lost (the meter reloaded its
      // state from the store), the next one runs. Where the JVM is told to exit on
      // OutOfMemoryError (the chart does), it exits instead and Kubernetes restarts it.
      errors.computeIfAbsent(target.name(), k -> new AtomicLong()).incrementAndGet();
      LOG.error("ingest of {} failed with {}; the next interval runs", target.name(), e.toString());
      try {
        meter.scrapeFailed(target);
      } catch (RuntimeException | Error storeFailure) {
        // Counted in memory above; the store may be what failed.
      }
    }
  }

  /** Failing store writes are logged once by the store, not once per scrape of every target. */
  private boolean storeFailing() {
    return meter.store().health().writes().failing();
  }

  /** Failed scrapes per target since start. */
  public Map<String, Long> errors() {
    Map<String, Long> out = new TreeMap<>();
    errors.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /**
   * Stops every loop: scrapes waiting for their slot end at once, scrapes in flight are interrupted
   * (their HTTP exchange is abandoned) and awaited, at most {@link #CLOSE_WAIT}; a write to the
   * store that already started completes.
   */
  @Override
  public void close() {
    synchronized (this) {
      open = false;
    }
    threads.shutdownNow();
    try {
      if (!threads.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("scrapes still running {} s after stop was asked", CLOSE_WAIT.toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
