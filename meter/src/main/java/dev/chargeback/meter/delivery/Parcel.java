package dev.chargeback.meter.delivery;

import dev.chargeback.meter.bill.Bill;
import java.util.List;

/**
 * One final bill on its way through one channel.
 *
 * @param key the same for every attempt of this bill and channel: receivers deduplicate by it (the
 *     webhook's {@code Idempotency-Key}, the e-mail's {@code Message-ID})
 * @param recipients e-mail addresses (empty for other channels)
 */
public record Parcel(
    Bill bill, byte[] json, byte[] pdf, byte[] csv, String key, List<String> recipients) {}
