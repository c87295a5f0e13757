package dev.chargeback.meter.config;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;

/**
 * Every setting, with the key names used in YAML, environment and flags.
 *
 * @param data RocksDB directory ({@code --data})
 * @param listen HTTP {@code HOST:PORT}; empty for the role's default (:9466, the meter :9467)
 * @param scrapeInterval time between scrapes of a target
 * @param scrapeTimeout a scrape's whole deadline, headers and body
 * @param maxGap gauges are not integrated across longer gaps (default 5 × scrapeInterval)
 * @param targets static targets, {@code ROLE=URL}
 * @param prices price book file (YAML); empty for the built-in book
 * @param bill how PDF bills look
 */
public record ChargebackConfig(
    String data,
    String listen,
    Duration scrapeInterval,
    Duration scrapeTimeout,
    Duration maxGap,
    List<String> targets,
    Billing billing,
    Retention retention,
    Limits limits,
    String prices,
    Bill bill) {

  /**
   * @param timeZone billing periods are calendar months in this zone, fixed at first start
   */
  public record Billing(String timeZone) {
    public ZoneId zone() {
      try {
        return ZoneId.of(timeZone);
      } catch (java.time.DateTimeException e) {
        throw new ConfigException(
            "config key 'billing.timeZone': unknown time zone '" + timeZone + "'");
      }
    }
  }

  /** How long each granularity's buckets are kept. */
  public record Retention(Duration fiveMinute, Duration hourly, Duration daily) {}

  /**
   * How bills look.
   *
   * @param font TrueType font file; empty for Debian's Nanum Gothic
   * @param boldFont bold TrueType font file; empty for Nanum Gothic Bold
   * @param organisation printed above the title
   * @param logo PNG or JPEG printed top right; empty for none
   */
  public record Bill(String font, String boldFont, String organisation, String logo) {}

  /** Parser bounds per scrape. */
  public record Limits(int maxLineBytes, int maxLabels, long maxBodyBytes) {}

  /** maxGap, defaulting to five scrape intervals. */
  public Duration effectiveMaxGap() {
    return maxGap != null ? maxGap : scrapeInterval.multipliedBy(5);
  }

  /** The listen address, or {@code fallback} when none was configured. */
  public String listenOr(String fallback) {
    return listen == null || listen.isBlank() ? fallback : listen;
  }

  /** Checks values that parse but make no sense, naming the key. */
  public ChargebackConfig validate() {
    requirePositive("scrapeInterval", scrapeInterval);
    requirePositive("scrapeTimeout", scrapeTimeout);
    if (maxGap != null) {
      requirePositive("maxGap", maxGap);
    }
    requirePositive("retention.fiveMinute", retention.fiveMinute());
    requirePositive("retention.hourly", retention.hourly());
    requirePositive("retention.daily", retention.daily());
    billing.zone();
    if (limits.maxLineBytes() < 64) {
      throw new ConfigException("config key 'limits.maxLineBytes': must be at least 64");
    }
    if (limits.maxLabels() < 1) {
      throw new ConfigException("config key 'limits.maxLabels': must be at least 1");
    }
    if (limits.maxBodyBytes() < 1) {
      throw new ConfigException("config key 'limits.maxBodyBytes': must be positive");
    }
    for (String[] file :
        new String[][] {
          {"prices", prices},
          {"bill.font", bill.font()},
          {"bill.boldFont", bill.boldFont()},
          {"bill.logo", bill.logo()}
        }) {
      if (file[1] != null
          && !file[1].isBlank()
          && !java.nio.file.Files.isReadable(java.nio.file.Path.of(file[1]))) {
        throw new ConfigException("config key '" + file[0] + "': cannot read " + file[1]);
      }
    }
    if (data == null || data.isBlank()) {
      throw new ConfigException("config key 'data': must name a directory");
    }
    if (listen != null && !listen.isBlank() && listen.lastIndexOf(':') < 0) {
      throw new ConfigException("config key 'listen': '" + listen + "' is not HOST:PORT");
    }
    return this;
  }

  private static void requirePositive(String key, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new ConfigException("config key '" + key + "': must be a positive duration");
    }
  }
}
