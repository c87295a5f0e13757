package dev.chargeback.meter.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chargeback.meter.rollup.Resource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * The simulated cluster's shape, against hand-computed usage: a whole day's sine integrates to its
 * base, so a day's CPU is each running container's base core-seconds.
 */
class SimShapeTest {
  private final SimCluster sim = new SimCluster();

  private double cpu(String ns, LocalDate day) {
    long from = day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    return sim.expected(ns, Resource.CPU, from, from + 86_400_000L);
  }

  private double cpu(String ns, LocalDate day, int fromHour, int toHour) {
    long midnight = day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    return sim.expected(
        ns, Resource.CPU, midnight + fromHour * 3_600_000L, midnight + toHour * 3_600_000L);
  }

  @Test
  void weekdaysWorkingHoursAddTwoWebReplicasAndWeekendsDoNot() {
    LocalDate saturday = LocalDate.of(2026, 11, 7);
    LocalDate tuesday = LocalDate.of(2026, 11, 10);
    // Two web pods all day: (0.25 + 0.05) cores each.
    assertThat(cpu("default", saturday)).isCloseTo(2 * 0.30 * 86_400, within(1e-6));
    // Before 09:00 a weekday is a weekend day; from 09:00 to 18:00 four pods run.
    assertThat(cpu("default", tuesday, 0, 9))
        .isCloseTo(cpu("default", saturday, 0, 9), within(1e-6));
    double extra = cpu("default", tuesday, 9, 18) - cpu("default", saturday, 9, 18);
    // The two extra pods use what the two steady ones use in those hours: twice the usage.
    assertThat(extra).isPositive().isCloseTo(cpu("default", saturday, 9, 18), within(1e-6));
    assertThat(sim.namespaces()).contains("batch");
  }

  @Test
  void batchRunsItsNightlyJobFromOneToThree() {
    LocalDate day = LocalDate.of(2026, 11, 10);
    assertThat(cpu("batch", day)).isCloseTo(1.5 * 2 * 3600, within(1e-6));
    assertThat(cpu("batch", day, 3, 24)).isZero();
    assertThat(cpu("batch", day, 1, 2)).isCloseTo(1.5 * 3600, within(1e-6));
    assertThat(sim.pods(day.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli() + 5_400_000L))
        .anyMatch(p -> p.namespace().equals("batch") && p.workload().equals("nightly-etl"));
  }

  @Test
  void teamBDoublesFromTheFifteenthToTheMonthsEnd() {
    // The worker (1.0 core) and 24 hourly report runs (0.2 core for 300 s).
    double reports = 24 * 0.2 * 300;
    assertThat(cpu("team-b", LocalDate.of(2026, 11, 14))).isCloseTo(86_400 + reports, within(1e-6));
    assertThat(cpu("team-b", LocalDate.of(2026, 11, 15)))
        .isCloseTo(2 * 86_400 + reports, within(1e-6));
    assertThat(cpu("team-b", LocalDate.of(2026, 11, 30)))
        .isCloseTo(2 * 86_400 + reports, within(1e-6));
    assertThat(cpu("team-b", LocalDate.of(2026, 12, 1))).isCloseTo(86_400 + reports, within(1e-6));
  }
}
