package dev.chargeback.meter.scrape;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrapes every target once per interval, each on its own virtual thread, so a slow target never
 * delays the others. Failures are logged and counted per target; the last stored data stays as it
 * is.
 */
public final class ScrapeLoop implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScrapeLoop.class);

  private final Meter meter;
  private final Scraper scraper;
  private final InstantSource clock;
  private final Duration interval;
  private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
  private volatile boolean running = true;

  public ScrapeLoop(Meter meter, Scraper scraper, InstantSource clock, Duration interval) {
    this.meter = meter;
    this.scraper = scraper;
    this.clock = clock;
    this.interval = interval;
  }

  /** Starts scraping {@code targets}; returns at once. */
  public void start(List<Target> targets) {
    for (Target target : targets) {
      threads.submit(() -> loop(target));
    }
  }

  private void loop(Target target) {
    long period = interval.toMillis();
    while (running) {
      scrapeOnce(target);
      long now = System.currentTimeMillis();
      long next = (now / period + 1) * period;
      try {
        Thread.sleep(Math.max(1, next - now));
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** One scrape of one target, with its failure counted and logged. */
  public void scrapeOnce(Target target) {
    try {
      scraper.scrape(target, meter, clock.millis());
    } catch (ScrapeException e) {
      errors.computeIfAbsent(target.name(), k -> new AtomicLong()).incrementAndGet();
      LOG.warn("scrape of {} failed: {}", target.name(), e.getMessage());
      try {
        meter.scrapeFailed(target);
      } catch (RuntimeException storeFailure) {
        LOG.warn("cannot record the failed scrape: {}", storeFailure.getMessage());
      }
    } catch (RuntimeException e) {
      errors.computeIfAbsent(target.name(), k -> new AtomicLong()).incrementAndGet();
      LOG.error("ingest of {} failed: {}", target.name(), e.getMessage());
    }
  }

  /** Failed scrapes per target since start. */
  public Map<String, Long> errors() {
    Map<String, Long> out = new java.util.TreeMap<>();
    errors.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  @Override
  public void close() {
    running = false;
    threads.shutdownNow();
  }
}
