package dev.chargeback.meter.price;

/** A price book that cannot be used: the message names the key and the problem. */
public final class PriceBookException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public PriceBookException(String message) {
    super(message);
  }

  public PriceBookException(String message, Throwable cause) {
    super(message, cause);
  }
}
