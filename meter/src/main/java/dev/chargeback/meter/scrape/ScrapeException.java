package dev.chargeback.meter.scrape;

/** A scrape that failed: unreachable, HTTP error, timeout, malformed or oversized body. */
public final class ScrapeException extends Exception {
  private static final long serialVersionUID = 1L;

  public ScrapeException(String message, Throwable cause) {
    super(message, cause);
  }

  public ScrapeException(String message) {
    super(message);
  }
}
