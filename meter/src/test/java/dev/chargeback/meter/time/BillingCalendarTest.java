package dev.chargeback.meter.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BillingCalendarTest {
  private static long epoch(String zoned) {
    return ZonedDateTime.parse(zoned).toEpochSecond();
  }

  private static Map<Long, Long> split(
      BillingCalendar c, Granularity g, long from, long to, long amount) {
    Map<Long, Long> parts = new LinkedHashMap<>();
    c.split(g, from * 1000, to * 1000, amount, parts::put);
    return parts;
  }

  @Test
  void anIncrementSpanningAnHourBoundaryIsSplitProRata() {
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    long from = epoch("2026-11-01T09:59:00Z");
    long to = epoch("2026-11-01T10:01:30Z");
    Map<Long, Long> parts = split(utc, Granularity.HOUR, from, to, 150);
    assertThat(parts)
        .containsExactly(
            Map.entry(epoch("2026-11-01T09:00:00Z"), 60L),
            Map.entry(epoch("2026-11-01T10:00:00Z"), 90L));
  }

  @Test
  void wholeSharesSumExactlyToTheAmountAndStayWithinAUnitOfTheirExactShare() {
    BillingCalendar c = new BillingCalendar(ZoneId.of("Asia/Kolkata"));
    long from = epoch("2026-11-01T00:00:07Z");
    long to = from + 3 * 86400 + 1234;
    for (long amount : new long[] {1, 7, 1_000_003, 1L << 50}) {
      for (Granularity g : Granularity.values()) {
        Map<Long, Long> parts = split(c, g, from, to, amount);
        assertThat(parts.values().stream().mapToLong(v -> v).sum()).isEqualTo(amount);
        long start = from;
        for (Map.Entry<Long, Long> part : parts.entrySet()) {
          long end = Math.min(c.nextBucket(g, part.getKey()), to);
          double exact = (double) amount * (end - start) / (to - from);
          assertThat((double) part.getValue()).isCloseTo(exact, within(1.0));
          start = end;
        }
      }
    }
  }

  @Test
  void daysStartAtLocalMidnightIncludingHalfHourZones() {
    BillingCalendar seoul = new BillingCalendar(ZoneId.of("Asia/Seoul"));
    long t = epoch("2026-11-01T15:30:00Z"); // 00:30 on 2 Nov in Seoul
    assertThat(seoul.bucketStart(Granularity.DAY, t)).isEqualTo(epoch("2026-11-01T15:00:00Z"));
    assertThat(seoul.date(seoul.bucketStart(Granularity.DAY, t)))
        .isEqualTo(LocalDate.of(2026, 11, 2));
    BillingCalendar kolkata = new BillingCalendar(ZoneId.of("Asia/Kolkata"));
    assertThat(kolkata.bucketStart(Granularity.DAY, t))
        .isEqualTo(epoch("2026-10-31T18:30:00Z")); // 21:00 in Kolkata
    // Hours stay UTC-aligned whatever the zone.
    assertThat(kolkata.bucketStart(Granularity.HOUR, t)).isEqualTo(epoch("2026-11-01T15:00:00Z"));
  }

  @Test
  void daylightSavingDaysAreTwentyThreeOrTwentyFiveHours() {
    BillingCalendar berlin = new BillingCalendar(ZoneId.of("Europe/Berlin"));
    long start = berlin.startOf(LocalDate.of(2026, 10, 25));
    assertThat(berlin.nextBucket(Granularity.DAY, start) - start).isEqualTo(25 * 3600);
    long[] march = berlin.month(YearMonth.of(2026, 3));
    assertThat(march[1] - march[0]).isEqualTo(31L * 86400 - 3600);
  }

  @Test
  void anInstantaneousAmountGoesToItsBucket() {
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    long t = epoch("2026-11-01T10:00:00Z");
    assertThat(split(utc, Granularity.FIVE_MINUTES, t, t, 5)).containsExactly(Map.entry(t, 5L));
  }
}
