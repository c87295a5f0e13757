package dev.chargeback.meter.exposition;

/**
 * One sample line.
 *
 * @param name metric name, including suffixes such as {@code _total} or {@code _bucket}
 * @param labels the label set, sorted by name
 * @param value the value; NaN and ±Inf are possible
 * @param timestampMillis epoch milliseconds, or {@link #NO_TIMESTAMP}
 */
public record Sample(String name, Labels labels, double value, long timestampMillis) {
  /** Marks a sample that carried no timestamp: the scrape's own time applies. */
  public static final long NO_TIMESTAMP = Long.MIN_VALUE;

  public boolean hasTimestamp() {
    return timestampMillis != NO_TIMESTAMP;
  }
}
