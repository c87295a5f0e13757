package dev.chargeback.meter.exposition;

/** The two exposition formats a scrape may answer with. */
public enum Format {
  /** Prometheus text format 0.0.4: timestamps in integer milliseconds. */
  TEXT,
  /** OpenMetrics 1.0: timestamps in (fractional) seconds, {@code # EOF} terminates. */
  OPENMETRICS;

  /** The format named by an HTTP {@code Content-Type}; text format unless OpenMetrics is named. */
  public static Format ofContentType(String contentType) {
    return contentType != null && contentType.startsWith("application/openmetrics-text")
        ? OPENMETRICS
        : TEXT;
  }
}
