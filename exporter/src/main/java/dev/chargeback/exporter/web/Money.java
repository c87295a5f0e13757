package dev.chargeback.exporter.web;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.text.NumberFormat;
import java.util.Currency;
import java.util.Locale;

/**
 * Amounts, quantities and percentages as the reader's locale writes them (the browser's
 * Accept-Language), amounts in the currency's own format and minor unit: {@code ₩1,234,567}, {@code
 * 1.234,56 €}.
 */
public final class Money {
  private final Currency currency;

  /** Formats are slow to make and not thread-safe: one set per Money, which one request uses. */
  private final NumberFormat amounts;

  private final NumberFormat numbers;
  private final NumberFormat percents;
  private final NumberFormat compact;

  public Money(Locale locale, Currency currency) {
    this.currency = currency;
    this.amounts = NumberFormat.getCurrencyInstance(locale);
    amounts.setCurrency(currency);
    this.numbers = NumberFormat.getNumberInstance(locale);
    this.percents = NumberFormat.getPercentInstance(locale);
    percents.setMinimumFractionDigits(1);
    percents.setMaximumFractionDigits(1);
    this.compact = NumberFormat.getCompactNumberInstance(locale, NumberFormat.Style.SHORT);
    compact.setMaximumFractionDigits(1);
  }

  /** The first language of an Accept-Language header that Java knows, else English. */
  public static Locale locale(String acceptLanguage) {
    if (acceptLanguage != null && !acceptLanguage.isBlank()) {
      try {
        for (Locale.LanguageRange range : Locale.LanguageRange.parse(acceptLanguage)) {
          if (!range.getRange().equals("*")) {
            Locale l = Locale.forLanguageTag(range.getRange());
            if (!l.getLanguage().isEmpty()) {
              return l;
            }
          }
        }
      } catch (IllegalArgumentException e) {
        // A malformed header: the default serves.
      }
    }
    return Locale.ENGLISH;
  }

  public Currency currency() {
    return currency;
  }

  /** An amount with the currency's symbol, at the scale it has (a bill's are in minor units). */
  public String amount(BigDecimal value) {
    int digits = Math.max(value.scale(), 0);
    amounts.setMinimumFractionDigits(
        Math.min(digits, Math.max(0, currency.getDefaultFractionDigits())));
    amounts.setMaximumFractionDigits(digits);
    return amounts.format(value);
  }

  /** An unrounded amount (a forecast, a chart's value) rounded to the currency's minor unit. */
  public String amount(double value) {
    return amount(
        BigDecimal.valueOf(value)
            .setScale(Math.max(0, currency.getDefaultFractionDigits()), RoundingMode.HALF_UP));
  }

  /** A quantity with all its decimals, grouped. */
  public String number(BigDecimal value) {
    numbers.setMinimumFractionDigits(Math.max(0, value.scale()));
    numbers.setMaximumFractionDigits(Math.max(0, value.scale()));
    return numbers.format(value);
  }

  /** A ratio (0.123) as a percentage with one decimal. */
  public String percent(double ratio) {
    return percents.format(ratio);
  }

  /** A change as a signed percentage ({@code +12.5%}), or "" without a base. */
  public String change(Double ratio) {
    if (ratio == null || ratio.isNaN() || ratio.isInfinite()) {
      return "";
    }
    // What rounds to 0.0% is no change, whichever its sign.
    double shown = Math.rint(ratio * 1000) / 1000;
    return (shown > 0 ? "+" : "") + percent(shown == 0 ? 0 : shown);
  }

  /** Short axis labels: 1.2k, 3.4M. */
  public String compact(double value) {
    return compact.format(value);
  }
}
