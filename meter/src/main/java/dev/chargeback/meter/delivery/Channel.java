package dev.chargeback.meter.delivery;

import java.io.IOException;
import java.util.List;

/** A way final bills leave chargeback. */
public interface Channel {
  /** The name in configuration and metrics: {@code email}, {@code webhook}, {@code log}. */
  String name();

  /** Whether this channel has somewhere to send a bill with these e-mail recipients. */
  default boolean reaches(List<String> recipients) {
    return true;
  }

  /** Sends one bill; throws when it was not accepted. */
  void send(Parcel parcel) throws IOException;
}
