package dev.chargeback.meter.bill;

import dev.chargeback.meter.time.BillingCalendar;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Locale;

/**
 * The month-end forecast that bills and metrics share: the month to date plus the recent daily
 * run-rate times the days left. The run-rate is the average cost of the last complete days of the
 * month, up to {@value #RUN_RATE_DAYS}; on the month's first day, today's cost so far scaled to a
 * whole day.
 *
 * @param runRate the cost of one day at the recent rate
 * @param remainingDays days (and part of today) left in the month
 * @param method how it was made, in words
 */
public record MonthEnd(double runRate, double remainingDays, String method) {
  /** Complete days whose cost makes the run-rate. */
  public static final int RUN_RATE_DAYS = 7;

  /**
   * @param days the cost of each local day of the month so far, today (incomplete) last
   */
  public static MonthEnd of(double[] days, BillingCalendar calendar, YearMonth month, Instant now) {
    double remaining =
        Math.max(0, calendar.startOf(month.plusMonths(1).atDay(1)) - now.getEpochSecond())
            / 86400.0;
    int complete = Math.max(0, days.length - 1);
    int recent = Math.min(RUN_RATE_DAYS, complete);
    double runRate;
    String basis;
    if (recent > 0) {
      double sum = 0;
      for (int i = complete - recent; i < complete; i++) {
        sum += days[i];
      }
      runRate = sum / recent;
      basis = "the average daily cost of the last " + recent + " complete day(s)";
    } else if (days.length == 0) {
      runRate = 0;
      basis = "no day's cost yet";
    } else {
      long todayStart = calendar.startOf(month.atDay(days.length));
      double elapsed = (now.getEpochSecond() - todayStart) / 86400.0;
      runRate = elapsed > 0 ? days[days.length - 1] / elapsed : 0;
      basis = "today's cost so far, scaled to a whole day";
    }
    return new MonthEnd(
        runRate,
        remaining,
        String.format(
            Locale.ROOT, "month to date plus %s times the %.1f days left", basis, remaining));
  }

  /** The forecast for a month to date of {@code monthToDate}. */
  public double forecast(double monthToDate) {
    return monthToDate + runRate * remainingDays;
  }
}
