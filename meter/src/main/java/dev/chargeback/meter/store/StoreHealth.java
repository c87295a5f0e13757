package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Ingest;
import java.util.List;
import java.util.Map;

/**
 * The meter's health counters (in {@link Family#META}, under {@code health/}), which the exporter
 * publishes: last ingest, samples ingested, failed scrapes per target and failed store writes. The
 * counters are written in the batches they count; a failed write cannot count itself, so {@link
 * WriteHealth} holds it until a write succeeds.
 */
public final class StoreHealth {
  static final String LAST_INGEST = "health/last_ingest_ms";
  static final String SAMPLES = "health/samples_ingested";
  static final String SCRAPE_ERRORS = "health/scrape_errors/";
  static final String WRITE_ERRORS = "health/write_errors";

  /**
   * When the store was made (epoch seconds): a backup restored keeps it, a new store has another. A
   * central chargeback tells by it whether a cluster's counters that went down started over from
   * zero (a new store) or went back to a backup's values.
   */
  static final String CREATED = "store/created_s";

  private final Meta meta;
  private final WriteHealth writes = new WriteHealth();

  StoreHealth(Meta meta) {
    this.meta = meta;
  }

  /** The last stored scrape's time (epoch ms), 0 before any. */
  public long lastIngestMillis() {
    return meta.number(LAST_INGEST);
  }

  /**
   * When the store was made (epoch seconds; for a store from before this was kept, its first start
   * since).
   */
  public long createdSeconds() {
    return meta.number(CREATED);
  }

  /** Records when the store was made, on the writer's first start. */
  void created(long nowSeconds) {
    if (meta.number(CREATED) == 0) {
      meta.putNumber(CREATED, nowSeconds);
    }
  }

  /** Samples ingested since metering began. */
  public long samples() {
    return meta.number(SAMPLES);
  }

  /** Failed scrapes per target (and per periodic task, under its pseudo-target). */
  public Map<String, Long> scrapeErrors() {
    return meta.numbers(SCRAPE_ERRORS);
  }

  /** Failed store writes since metering began: stored ones plus this process's unstored ones. */
  public long writeErrors() {
    return meta.number(WRITE_ERRORS) + writes.unrecorded();
  }

  /** Whether this process's writes to the store succeed (always healthy on a reader). */
  public WriteHealth writes() {
    return writes;
  }

  /** The counter updates of stored scrapes (one batch). */
  List<Write> ingested(List<Ingest> ingests) {
    long last = Long.MIN_VALUE;
    long samples = samples();
    for (Ingest ingest : ingests) {
      last = Math.max(last, ingest.scrapeMillis());
      samples += ingest.samples();
    }
    return List.of(put(LAST_INGEST, last), put(SAMPLES, samples));
  }

  /** The counter update of one failed scrape of {@code target}. */
  Write scrapeFailed(String target) {
    String key = SCRAPE_ERRORS + target;
    return put(key, meta.number(key) + 1);
  }

  /** The counter update that records {@code unrecorded} failed writes. */
  Write writesFailed(long unrecorded) {
    return put(WRITE_ERRORS, meta.number(WRITE_ERRORS) + unrecorded);
  }

  private static Write put(String key, long value) {
    return new Write.Put(Family.META, Keys.meta(key), Keys.longValue(value));
  }
}
