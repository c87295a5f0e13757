package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Hours have one source: live metering or an import, never both. */
class HourSourcesTest {
  private static final long H = 3_600_000;
  private static final long T = 1_790_000_000_000L / H * H; // an hour boundary
  private static final RollupKey CPU = new RollupKey(Scope.NAMESPACE, "team-a", "", Resource.CPU);

  private final MemoryKeyValueStore kv = new MemoryKeyValueStore();
  private final RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));

  private static Usage cpu(long from, long to, double amount) {
    return new Usage("team-a", "Deployment/web", "n1", Resource.CPU, from, to, amount);
  }

  private void live(long from, long to, double amount) {
    store.apply(
        new Ingest(
            "cadvisor:node/n1", to, from, to - from, List.of(cpu(from, to, amount)), Map.of(), 1));
  }

  @Test
  void liveUsageReachingIntoAnImportedHourKeepsOnlyItsOwnPart() {
    assertThat(store.applyImported(T, List.of(cpu(T, T + H, 100)))).isTrue();
    // A counter delta across a restart: 60 core-seconds over [T - 30m, T + 30m].
    live(T - H / 2, T + H / 2, 60);
    assertThat(store.sum(dev.chargeback.meter.time.Granularity.HOUR, CPU, (T - H) / 1000, T / 1000))
        .isEqualTo(30);
    assertThat(store.sum(dev.chargeback.meter.time.Granularity.HOUR, CPU, T / 1000, (T + H) / 1000))
        .isEqualTo(100);
    assertThat(store.totals(Scope.NAMESPACE).get(CPU).sum()).isEqualTo(130);
    assertThat(store.hours().of(T - H)).isEqualTo(HourSources.LIVE);
    assertThat(store.hours().of(T)).isEqualTo(HourSources.IMPORTED);
  }

  @Test
  void anImportLeavesLiveAndImportedHoursAlone() {
    live(T, T + H / 2, 10);
    assertThat(store.applyImported(T, List.of(cpu(T, T + H, 100)))).isFalse();
    assertThat(store.applyImported(T + H, List.of(cpu(T + H, T + 2 * H, 100)))).isTrue();
    assertThat(store.applyImported(T + H, List.of(cpu(T + H, T + 2 * H, 100)))).isFalse();
    assertThat(store.totals(Scope.NAMESPACE).get(CPU).sum()).isEqualTo(110);
  }

  @Test
  void sourcesSurviveReopening() {
    live(T, T + H / 2, 10);
    store.applyImported(T + H, List.of(cpu(T + H, T + 2 * H, 100)));
    RollupStore reopened = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));
    assertThat(reopened.hours().all())
        .containsExactly(Map.entry(T, HourSources.LIVE), Map.entry(T + H, HourSources.IMPORTED));
    assertThat(reopened.applyImported(T, List.of(cpu(T, T + H, 1)))).isFalse();
  }
}
