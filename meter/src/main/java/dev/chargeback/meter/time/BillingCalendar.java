package dev.chargeback.meter.time;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;

/**
 * Bucket boundaries in epoch seconds. Days and months start at local midnight of the billing zone,
 * so half-hour zones and daylight-saving days work; a month is the sum of its local days.
 */
public final class BillingCalendar {
  private final ZoneId zone;

  // The last day looked up: ingest hits the same day over and over.
  private volatile long[] lastDay = {1, 0};

  public BillingCalendar(ZoneId zone) {
    this.zone = zone;
  }

  public ZoneId zone() {
    return zone;
  }

  /** Start of the bucket holding {@code epochSecond}. */
  public long bucketStart(Granularity g, long epochSecond) {
    if (g != Granularity.DAY) {
      return Math.floorDiv(epochSecond, g.seconds) * g.seconds;
    }
    long[] day = lastDay;
    if (epochSecond >= day[0] && epochSecond < day[1]) {
      return day[0];
    }
    LocalDate date = LocalDate.ofInstant(Instant.ofEpochSecond(epochSecond), zone);
    long start = date.atStartOfDay(zone).toEpochSecond();
    long end = date.plusDays(1).atStartOfDay(zone).toEpochSecond();
    lastDay = new long[] {start, end};
    return start;
  }

  /** Start of the bucket after the one starting at {@code bucketStart}. */
  public long nextBucket(Granularity g, long bucketStart) {
    if (g != Granularity.DAY) {
      return bucketStart + g.seconds;
    }
    long[] day = lastDay;
    if (bucketStart == day[0]) {
      return day[1];
    }
    LocalDate date = LocalDate.ofInstant(Instant.ofEpochSecond(bucketStart), zone);
    return date.plusDays(1).atStartOfDay(zone).toEpochSecond();
  }

  /** The local date a day bucket stands for. */
  public LocalDate date(long dayStart) {
    return LocalDate.ofInstant(Instant.ofEpochSecond(dayStart), zone);
  }

  public long startOf(LocalDate date) {
    return date.atStartOfDay(zone).toEpochSecond();
  }

  /** [start, end) of a month, in epoch seconds. */
  public long[] month(YearMonth month) {
    return new long[] {startOf(month.atDay(1)), startOf(month.plusMonths(1).atDay(1))};
  }

  public YearMonth monthOf(Instant instant) {
    return YearMonth.from(instant.atZone(zone));
  }

  /**
   * Splits {@code amount} (whole units), accrued evenly over [fromMillis, toMillis], across the
   * buckets of {@code g}, calling {@code part(bucketStart, share)} in time order. An instantaneous
   * amount (from == to) goes whole to the bucket of {@code to}. The shares are whole units, each
   * within one of its exact share (for amounts under 2^50), and sum to {@code amount} exactly, so
   * every granularity's buckets add up to the same total.
   */
  public void split(
      Granularity g, long fromMillis, long toMillis, long amount, BucketConsumer part) {
    if (toMillis <= fromMillis) {
      part.accept(bucketStart(g, Math.floorDiv(toMillis, 1000)), amount);
      return;
    }
    long first = bucketStart(g, Math.floorDiv(fromMillis, 1000));
    long next = nextBucket(g, first);
    if (next * 1000 >= toMillis) {
      part.accept(first, amount);
      return;
    }
    double span = toMillis - fromMillis;
    long given = 0;
    long bucket = first;
    while (true) {
      long end = Math.min(next * 1000, toMillis);
      if (end >= toMillis) {
        part.accept(bucket, amount - given);
        return;
      }
      // Rounding where the shares so far end, not each share, keeps every share within one unit.
      long upTo = Math.round(amount * ((end - fromMillis) / span));
      part.accept(bucket, upTo - given);
      given = upTo;
      bucket = next;
      next = nextBucket(g, bucket);
    }
  }

  /** Receives one bucket's share of a split. */
  @FunctionalInterface
  public interface BucketConsumer {
    void accept(long bucketStart, long share);
  }
}
