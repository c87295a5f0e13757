package dev.chargeback.meter.delivery;

import java.io.IOException;

/** A way final bills leave chargeback. */
public interface Channel {
  /** The name in configuration and metrics: {@code email}, {@code webhook}, {@code log}. */
  String name();

  /** Whether this channel has somewhere to send {@code namespace}'s bills. */
  default boolean reaches(java.util.List<String> recipients) {
    return true;
  }

  /** Sends one bill; throws when it was not accepted. */
  void send(Parcel parcel) throws IOException;
}
