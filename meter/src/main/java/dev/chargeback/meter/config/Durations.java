package dev.chargeback.meter.config;

import java.time.Duration;

/**
 * Durations as people write them: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h}, {@code 8d}.
 */
public final class Durations {
  private Durations() {}

  public static Duration parse(String key, String text) {
    String t = text.strip();
    int i = 0;
    while (i < t.length() && Character.isDigit(t.charAt(i))) {
      i++;
    }
    if (i == 0 || i == t.length()) {
      throw new ConfigException(
          "config key '"
              + key
              + "': '"
              + text
              + "' is not a duration (e.g. 500ms, 30s, 5m, 1h, 8d)");
    }
    long n;
    try {
      n = Long.parseLong(t.substring(0, i));
    } catch (NumberFormatException e) {
      throw new ConfigException("config key '" + key + "': '" + text + "' is too long a duration");
    }
    return switch (t.substring(i)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default ->
          throw new ConfigException(
              "config key '" + key + "': unknown unit in '" + text + "' (use ms, s, m, h or d)");
    };
  }
}
