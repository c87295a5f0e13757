package dev.chargeback.meter.exposition;

/** Number parsing for the exposition formats, with an allocation-free exact fast path. */
final class Numbers {
  private static final double[] POWERS_OF_TEN = new double[23];

  static {
    double p = 1;
    for (int i = 0; i < POWERS_OF_TEN.length; i++) {
      POWERS_OF_TEN[i] = p;
      p *= 10;
    }
  }

  private Numbers() {}

  /**
   * Parses {@code [-+]digits[.digits][e[-+]digits]} when the result is exactly representable by one
   * IEEE operation (mantissa below 2^53, power of ten at most 22: Clinger's fast path), or returns
   * NaN so the caller falls back to {@link #parseFull}.
   */
  static double parseSimple(byte[] b, int from, int to) {
    int i = from;
    boolean negative = false;
    if (i < to && (b[i] == '-' || b[i] == '+')) {
      negative = b[i] == '-';
      i++;
    }
    long mantissa = 0;
    int digits = 0;
    int scale = 0;
    boolean dot = false;
    for (; i < to; i++) {
      byte c = b[i];
      if (c >= '0' && c <= '9') {
        if (mantissa > (1L << 53) / 10) {
          return Double.NaN;
        }
        mantissa = mantissa * 10 + (c - '0');
        digits++;
        if (dot) {
          scale--;
        }
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
    }
    if (digits == 0) {
      return Double.NaN;
    }
    if (i < to && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      boolean expNegative = false;
      if (i < to && (b[i] == '-' || b[i] == '+')) {
        expNegative = b[i] == '-';
        i++;
      }
      int exp = 0;
      int expDigits = 0;
      for (; i < to && b[i] >= '0' && b[i] <= '9' && exp < 1000; i++) {
        exp = exp * 10 + (b[i] - '0');
        expDigits++;
      }
      if (expDigits == 0) {
        return Double.NaN;
      }
      scale += expNegative ? -exp : exp;
    }
    if (i != to || mantissa > (1L << 53)) {
      return Double.NaN;
    }
    double value;
    if (scale == 0) {
      value = mantissa;
    } else if (scale < 0 && -scale < POWERS_OF_TEN.length) {
      value = mantissa / POWERS_OF_TEN[-scale];
    } else if (scale > 0 && scale < POWERS_OF_TEN.length) {
      value = mantissa * POWERS_OF_TEN[scale];
    } else {
      return Double.NaN;
    }
    return negative ? -value : value;
  }

  static boolean isNaN(byte[] b, int from, int to) {
    return to - from == 3 && b[from] == 'N' && b[from + 1] == 'a' && b[from + 2] == 'N';
  }

  /** Any float the formats allow (Go's ParseFloat syntax, decimal); NaN when invalid. */
  static double parseFull(String text) {
    switch (text) {
      case "NaN":
        return Double.NaN;
      case "+Inf", "Inf", "+inf", "inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf", "-inf":
        return Double.NEGATIVE_INFINITY;
      default:
        break;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+';
      if (!ok && c != '-') {
        return Double.NaN;
      }
    }
    try {
      return Double.parseDouble(text);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }
}
