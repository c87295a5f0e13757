package dev.chargeback.meter.scrape;

import dev.chargeback.meter.exposition.ExpositionException;
import dev.chargeback.meter.exposition.ExpositionParser;
import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.Granularity;
import dev.chargeback.meter.usage.Accountant;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.Reading;
import dev.chargeback.meter.usage.Selection;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Ingests scrapes: parse (streaming) → select billable rows → account against the target's last
 * samples → one atomic store write → commit. Parsing runs concurrently per target; accounting is
 * serialised, and scrapes ready at once are written in one batch ({@link GroupCommit}).
 */
public final class Meter {
  private final RollupStore store;
  private final ExpositionParser parser;
  private final PodDirectory pods;
  private final long maxGapMillis;
  private final long seriesTtlMillis;
  private final Map<String, Accountant> accountants = new ConcurrentHashMap<>();
  private final CostAccrual accrual;
  private final GroupCommit commits;

  /** A meter that records usage only. */
  public Meter(RollupStore store, ParserLimits limits, PodDirectory pods, Duration maxGap) {
    this(store, limits, pods, maxGap, null);
  }

  /**
   * @param accrual prices each scrape's usage into accrued cost in the same write; null for none
   */
  public Meter(
      RollupStore store,
      ParserLimits limits,
      PodDirectory pods,
      Duration maxGap,
      CostAccrual accrual) {
    this(store, limits, pods, maxGap, accrual, Duration.ZERO);
  }

  /**
   * @param commitLinger how long a scrape ready to be written waits for others to join its batch
   *     ({@link GroupCommit})
   */
  public Meter(
      RollupStore store,
      ParserLimits limits,
      PodDirectory pods,
      Duration maxGap,
      CostAccrual accrual,
      Duration commitLinger) {
    this.store = store;
    this.commits = new GroupCommit(store, commitLinger);
    this.accrual = accrual;
    this.parser = new ExpositionParser(limits);
    this.pods = pods;
    this.maxGapMillis = maxGap.toMillis();
    this.seriesTtlMillis = Math.max(3_600_000, 2 * maxGapMillis);
  }

  public RollupStore store() {
    return store;
  }

  /**
   * Meters one scrape body of {@code target}, taken at {@code scrapeMillis}.
   *
   * @return the number of billable readings
   * @throws ScrapeException when the body is malformed; nothing is stored then
   */
  public int ingest(Target target, InputStream body, Format format, long scrapeMillis)
      throws ScrapeException, IOException {
    Selection selection = Selection.forRole(target.role(), target.node(), pods);
    try {
      parser.parse(body, format, selection);
    } catch (ExpositionException e) {
      throw new ScrapeException("malformed scrape from " + target.url() + ": " + e.getMessage(), e);
    }
    List<Reading> readings = selection.finish(scrapeMillis);
    // A target's scrapes run one after another: its accountant is this thread's until the commit.
    Accountant accountant;
    Ingest ingest;
    try {
      synchronized (this) {
        accountant =
            accountants.computeIfAbsent(
                target.name(),
                name ->
                    new Accountant(
                        name,
                        maxGapMillis,
                        seriesTtlMillis,
                        store.series().of(name),
                        store.series().lastScrape(name)));
        ingest = accountant.account(readings, scrapeMillis);
        if (accrual != null) {
          ingest = ingest.plus(accrual.costs(ingest.usages()));
        }
      }
      commits.write(ingest);
      synchronized (this) {
        accountant.commit(ingest);
      }
    } catch (RuntimeException | Error e) {
      // The write may have landed without the commit (an Error between them): the target's
      // state is reloaded from the store on its next scrape, never guessed from memory.
      accountants.remove(target.name());
      throw e;
    }
    return readings.size();
  }

  /**
   * Drops a target that is no longer scraped from memory; its stored state stays, so it resumes
   * where it left off if it comes back.
   */
  public synchronized void forget(Target target) {
    accountants.remove(target.name());
  }

  /** Counts a failed scrape, in the store where the exporter publishes it. */
  public void scrapeFailed(Target target) {
    store.recordScrapeError(target.name());
  }

  /** Drops buckets older than the retention of each granularity, in one whole pass. */
  public void expire(long nowMillis, Map<Granularity, Duration> retention) {
    for (Map.Entry<Granularity, Duration> e : retention.entrySet()) {
      store.expire(e.getKey(), (nowMillis - e.getValue().toMillis()) / 1000);
    }
  }

  /**
   * Drops buckets older than the retention of each granularity, visiting at most {@code maxKeys}
   * keys of each from where the previous call stopped (bounded work per run).
   */
  public void expire(long nowMillis, Map<Granularity, Duration> retention, int maxKeys) {
    for (Map.Entry<Granularity, Duration> e : retention.entrySet()) {
      store.expire(e.getKey(), (nowMillis - e.getValue().toMillis()) / 1000, maxKeys);
    }
  }
}
