package dev.chargeback.meter.bill;

/** A bill that cannot be made: the request was bad, or there is nothing to bill. */
public final class BillException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why. */
  public enum Kind {
    BAD_REQUEST,
    NOT_FOUND
  }

  private final Kind kind;

  public BillException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
