package dev.chargeback.meter.store;

/** A storage failure, naming the store's path; the cause carries RocksDB's status. */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
