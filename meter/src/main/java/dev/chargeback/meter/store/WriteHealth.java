package dev.chargeback.meter.store;

import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the store's writes succeed. After an I/O error such as a full disk RocksDB refuses every
 * write, applying none of it, and resumes by itself once its retried flush succeeds. The meter's
 * accountants commit only after a successful write, so the first scrape stored after the outage
 * covers it from the counters: nothing is lost or counted twice. This keeps the outage's record for
 * {@code /readyz}, the metrics and the log, which says it once when writes start failing (again if
 * the reason changes) and once when they resume.
 */
public final class WriteHealth {
  private static final Logger LOG = LoggerFactory.getLogger(WriteHealth.class);

  private long failingSinceMillis = -1;
  private String reason;
  private long failed;
  private long failedInOutage;
  private long unrecorded;

  /** Records a failed write. */
  synchronized void failed(StoreException e, long nowMillis) {
    failed++;
    unrecorded++;
    String why = e.getMessage();
    if (failingSinceMillis < 0) {
      failingSinceMillis = nowMillis;
      failedInOutage = 0;
      LOG.error(
          "writes to the store fail: {}. Metering pauses and resumes by itself when the store can"
              + " write again (free space on the data volume); the first scrape stored then covers"
              + " the gap from the counters. Bills and metrics keep being served.",
          why);
    } else if (!why.equals(reason)) {
      LOG.error("writes to the store still fail, now: {}", why);
    }
    reason = why;
    failedInOutage++;
  }

  /** Records a successful write that also stored {@code recorded} of the failures counted here. */
  synchronized void succeeded(long recorded, long nowMillis) {
    unrecorded -= recorded;
    if (failingSinceMillis >= 0) {
      LOG.info(
          "writes to the store resumed after {} s; {} write(s) had failed, none of them applied",
          (nowMillis - failingSinceMillis) / 1000,
          failedInOutage);
      failingSinceMillis = -1;
      reason = null;
    }
  }

  /** Failed writes not yet added to the store's own counter (the next write adds them). */
  synchronized long unrecorded() {
    return unrecorded;
  }

  /** Whether the last write failed. */
  public synchronized boolean failing() {
    return failingSinceMillis >= 0;
  }

  /** Null while writes succeed; else since when they fail, how often, and why. */
  public synchronized String problem() {
    if (failingSinceMillis < 0) {
      return null;
    }
    return "writes to the store fail since "
        + Instant.ofEpochMilli(failingSinceMillis)
        + " ("
        + failedInOutage
        + " failed writes): "
        + reason
        + "; metering resumes by itself when the store can write again";
  }
}
