package dev.chargeback.meter.exposition;

/** A scrape body that is not valid exposition text or exceeds a limit; names the line. */
public final class ExpositionException extends Exception {
  private static final long serialVersionUID = 1L;
  private final long line;

  public ExpositionException(long line, String message) {
    super(line > 0 ? "line " + line + ": " + message : message);
    this.line = line;
  }

  /** The 1-based line number, or 0 when the error is not tied to a line (body size). */
  public long line() {
    return line;
  }
}
