package dev.chargeback.exporter.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.usage.Ingest;
import dev.chargeback.meter.usage.Resource;
import dev.chargeback.meter.usage.Usage;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class StoreCollectorTest {
  private final RollupStore store =
      new RollupStore(new MemoryKeyValueStore(), new BillingCalendar(ZoneId.of("UTC")));
  private final AtomicLong now =
      new AtomicLong(Instant.parse("2026-11-20T12:00:00Z").toEpochMilli());
  private final StoreCollector collector =
      new StoreCollector(
          store,
          PriceBookLoader.defaults(),
          () -> Instant.ofEpochMilli(now.get()),
          Duration.ofMinutes(5),
          "test",
          null);

  private void cost(String ns, String at, double amount) {
    long t = Instant.parse(at).toEpochMilli();
    store.apply(
        new Ingest(
            "t",
            t,
            Long.MIN_VALUE,
            0,
            List.of(new Usage(ns, "", "", Resource.COST_CPU, t, t, amount)),
            Map.of(),
            List.of(),
            0));
  }

  private double gauge(String name, String ns) {
    for (MetricSnapshot s : collector.collect()) {
      if (s.getMetadata().getName().equals(name)) {
        for (var p : s.getDataPoints()) {
          if (ns.equals(p.getLabels().get("namespace"))) {
            return p instanceof GaugeSnapshot.GaugeDataPointSnapshot g
                ? g.getValue()
                : ((CounterSnapshot.CounterDataPointSnapshot) p).getValue();
          }
        }
      }
    }
    return Double.NaN;
  }

  @Test
  void monthToDateFollowsNewCostWhileTheBaselineIsCached() {
    cost("a", "2026-10-31T23:00:00Z", 100);
    cost("a", "2026-11-01T01:00:00Z", 7);
    assertThat(gauge("chargeback_cost_per_namespace", "a")).isEqualTo(7);
    assertThat(gauge("chargeback_cost", "a")).isEqualTo(107);
    cost("a", "2026-11-20T11:00:00Z", 5);
    assertThat(gauge("chargeback_cost_per_namespace", "a")).isEqualTo(12);
    // A namespace that appears later gets its own baseline.
    cost("b", "2026-10-15T00:00:00Z", 40);
    cost("b", "2026-11-19T00:00:00Z", 2);
    assertThat(gauge("chargeback_cost_per_namespace", "b")).isEqualTo(2);
    // A new month starts from zero; the counter keeps counting.
    now.set(Instant.parse("2026-12-01T00:30:00Z").toEpochMilli());
    cost("a", "2026-12-01T00:10:00Z", 3);
    assertThat(gauge("chargeback_cost_per_namespace", "a")).isEqualTo(3);
    assertThat(gauge("chargeback_cost", "a")).isEqualTo(115);
  }
}
