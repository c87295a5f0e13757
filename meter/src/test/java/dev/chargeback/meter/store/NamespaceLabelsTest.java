package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.time.BillingCalendar;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NamespaceLabelsTest {
  private final InstrumentedKeyValueStore kv =
      new InstrumentedKeyValueStore(new MemoryKeyValueStore());
  private final NamespaceLabels labels =
      new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC)).labels();

  @Test
  void aMonthShowsItsOwnLabelsElseTheLatestBefore() {
    labels.record("web", YearMonth.of(2026, 9), Map.of("team", "payments"));
    labels.record("web", YearMonth.of(2026, 11), Map.of("team", "checkout", "cost-center", "C2"));
    assertThat(labels.at("web", YearMonth.of(2026, 8))).isEmpty();
    assertThat(labels.at("web", YearMonth.of(2026, 10)))
        .containsExactly(Map.entry("team", "payments"));
    assertThat(labels.at("web", YearMonth.of(2026, 12)))
        .containsExactlyInAnyOrderEntriesOf(Map.of("team", "checkout", "cost-center", "C2"));
    assertThat(labels.at("other", YearMonth.of(2026, 12))).isEmpty();
  }

  @Test
  void labelsRecordedAgainUnchangedWriteNothing() {
    labels.record("web", YearMonth.of(2026, 11), Map.of("team", "payments"));
    int batches = kv.batches.size();
    for (int i = 0; i < 10; i++) {
      labels.record("web", YearMonth.of(2026, 11), Map.of("team", "payments"));
    }
    assertThat(kv.batches).hasSize(batches);
  }
}
