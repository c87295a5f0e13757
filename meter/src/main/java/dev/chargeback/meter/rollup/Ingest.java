package dev.chargeback.meter.rollup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything one scrape changes, written by the store in one atomic batch: the usage it adds, the
 * target's series' last samples, and the target's new watermark. Nothing is counted twice after a
 * crash because the usage and the points it was computed from are stored together.
 *
 * @param series the last sample of every series the target keeps after this scrape, by identity
 *     ({@code Reading.series}): its whole state, which replaces what was stored
 * @param previousScrapeMillis the target's previous successful scrape, or {@link Long#MIN_VALUE}
 * @param coveredMillis how much time since the previous scrape counts as covered (0 when the gap
 *     exceeded maxGap or there was no previous scrape)
 */
public record Ingest(
    String target,
    long scrapeMillis,
    long previousScrapeMillis,
    long coveredMillis,
    List<Usage> usages,
    LastSamples series,
    int samples) {

  /** An ingest whose last samples are given by identity (tests, tools). */
  public Ingest(
      String target,
      long scrapeMillis,
      long previousScrapeMillis,
      long coveredMillis,
      List<Usage> usages,
      Map<Long, Point> series,
      int samples) {
    this(
        target,
        scrapeMillis,
        previousScrapeMillis,
        coveredMillis,
        usages,
        LastSamples.of(series),
        samples);
  }

  /** This ingest with more usage (e.g. the cost it accrues), written in the same batch. */
  public Ingest plus(List<Usage> more) {
    if (more.isEmpty()) {
      return this;
    }
    List<Usage> all = new ArrayList<>(usages.size() + more.size());
    all.addAll(usages);
    all.addAll(more);
    return new Ingest(
        target, scrapeMillis, previousScrapeMillis, coveredMillis, all, series, samples);
  }
}
