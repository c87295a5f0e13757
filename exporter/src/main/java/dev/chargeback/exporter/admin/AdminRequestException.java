package dev.chargeback.exporter.admin;

/** A refused admin request: its HTTP status and a message naming the field at fault. */
final class AdminRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  AdminRequestException(int status, String message) {
    super(message);
    this.status = status;
  }

  /** 400 for a field that is missing, malformed or of the wrong type. */
  static AdminRequestException badField(String field, String reason) {
    return new AdminRequestException(400, "field '" + field + "': " + reason);
  }

  int status() {
    return status;
  }
}
