package dev.chargeback.exporter.harness;

import java.time.Instant;
import java.time.InstantSource;

/** A clock for the simulated cluster that a test can freeze and release. */
public final class SimClock implements InstantSource {
  private volatile long frozenAt;
  private volatile long offset;
  private volatile boolean frozen = true;

  public SimClock(long startMillis) {
    frozenAt = startMillis;
  }

  /** From now on, time runs at real speed from where it stands. */
  public synchronized void release() {
    offset = frozenAt - System.currentTimeMillis();
    frozen = false;
  }

  /** Stops time where it stands; returns that time. */
  public synchronized long freeze() {
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
