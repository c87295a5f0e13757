package dev.chargeback.meter.price;

import java.time.LocalDate;
import java.util.Currency;
import java.util.List;

/**
 * Versions of prices in one currency, ordered by {@link PriceVersion#effectiveFrom()}.
 *
 * @param currency ISO 4217; amounts round to its minor unit (KRW 0 decimals, USD 2)
 */
public record PriceBook(Currency currency, List<PriceVersion> versions) {
  public PriceBook {
    versions = List.copyOf(versions);
  }

  /** The version in force on {@code day}, or null before the first version. */
  public PriceVersion at(LocalDate day) {
    PriceVersion found = null;
    for (PriceVersion v : versions) {
      if (!v.effectiveFrom().isAfter(day)) {
        found = v;
      }
    }
    return found;
  }
}
