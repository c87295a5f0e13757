package dev.chargeback.meter.delivery;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Final bills "delivered" to the meter's log: the demo's channel, where no server is set up. */
public final class LogChannel implements Channel {
  private static final Logger LOG = LoggerFactory.getLogger(LogChannel.class);

  @Override
  public String name() {
    return "log";
  }

  @Override
  public void send(Parcel p) {
    LOG.info(
        "final bill {} of {} for {}: {} {} ({} bytes of PDF; key {})",
        p.bill().billNumber(),
        p.bill().namespace(),
        p.bill().month(),
        p.bill().total().toPlainString(),
        p.bill().currency().getCurrencyCode(),
        p.pdf().length,
        p.key());
  }
}
