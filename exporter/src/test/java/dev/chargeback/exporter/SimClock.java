package dev.chargeback.exporter;

import java.time.Instant;
import java.time.InstantSource;

/** A clock for the simulated cluster that a test can freeze and release. */
final class SimClock implements InstantSource {
  private volatile long frozenAt;
  private volatile long offset;
  private volatile boolean frozen = true;

  SimClock(long startMillis) {
    frozenAt = startMillis;
  }

  /** From now on, time runs at real speed from where it stands. */
  synchronized void release() {
    offset = frozenAt - System.currentTimeMillis();
    frozen = false;
  }

  /** Stops time where it stands; returns that time. */
  synchronized long freeze() {
    frozenAt = millis();
    frozen = true;
    return frozenAt;
  }

  @Override
  public long millis() {
    return frozen ? frozenAt : System.currentTimeMillis() + offset;
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis());
  }
}
