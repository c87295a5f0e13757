package dev.chargeback.meter.bill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import java.io.ByteArrayInputStream;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Basis {@code max} as DESIGN states it: max(usage, request) per container and interval, metered at
 * ingest. Two containers of one namespace, each requesting 1 core and 1 GiB, trade places: in the
 * first minute {@code busy} uses 2 cores and 2 GiB while {@code idle} uses nothing, in the second
 * they swap. Per container and interval that is 2 + 1 then 1 + 2 cores for a minute each (6
 * core-minutes); taken per namespace and day, usage (4) and requests (4) would bill only 4.
 */
class MaxBasisTest {
  private static final double GIB = 1024.0 * 1024 * 1024;
  private static final long T0 = Instant.parse("2026-11-03T10:00:00Z").toEpochMilli();
  private static final String BOOK =
      """
      currency: USD
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 60, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 0, storageGibHour: 0}
          basis: max
      """;

  private final BillingCalendar utc = new BillingCalendar(ZoneOffset.UTC);
  private final RollupStore store = new RollupStore(new MemoryKeyValueStore(), utc);
  private final PriceBook book = PriceBookLoader.parse(BOOK, "test");
  private final Meter meter =
      new Meter(
          store,
          ParserLimits.DEFAULT,
          new PodDirectory(),
          Duration.ofMinutes(5),
          new CostAccrual(book, utc));
  private final Target kubelet =
      Target.of(SourceRole.CADVISOR, URI.create("http://kubelet/metrics/cadvisor"), "node-1");
  private final Target kubeState =
      Target.of(SourceRole.KUBE_STATE_METRICS, URI.create("http://ksm/metrics"), "");

  /** The two containers at minute {@code m}: cumulative CPU seconds and working set. */
  private void scrape(int minute, double busyCpu, double busyGib, double idleCpu, double idleGib)
      throws Exception {
    long t = T0 + minute * 60_000L;
    StringBuilder ksm = new StringBuilder();
    StringBuilder cadvisor = new StringBuilder();
    for (String c : List.of("busy", "idle")) {
      String pod = "namespace=\"team\",pod=\"app-" + c + "\",container=\"" + c + "\"";
      ksm.append("kube_pod_container_resource_requests{")
          .append(pod)
          .append(",node=\"node-1\",resource=\"cpu\",unit=\"core\"} 1\n")
          .append("kube_pod_container_resource_requests{")
          .append(pod)
          .append(",node=\"node-1\",resource=\"memory\",unit=\"byte\"} ")
          .append((long) GIB)
          .append('\n');
      String labels = pod + ",id=\"/kubepods/pod-" + c + "/" + c + "\",image=\"app\"";
      boolean busy = c.equals("busy");
      cadvisor
          .append("container_cpu_usage_seconds_total{")
          .append(labels)
          .append(",cpu=\"total\"} ")
          .append(busy ? busyCpu : idleCpu)
          .append('\n')
          .append("container_memory_working_set_bytes{")
          .append(labels)
          .append("} ")
          .append((long) ((busy ? busyGib : idleGib) * GIB))
          .append('\n');
    }
    meter.ingest(kubeState, body(ksm), Format.TEXT, t);
    meter.ingest(kubelet, body(cadvisor), Format.TEXT, t);
  }

  private static ByteArrayInputStream body(StringBuilder text) {
    return new ByteArrayInputStream(text.toString().getBytes(StandardCharsets.UTF_8));
  }

  private double month(Resource r) {
    long[] range = utc.month(YearMonth.of(2026, 11));
    return store
        .sums(Granularity.DAY, List.of(RollupKey.namespace("team", r)), range[0], range[1])
        .getOrDefault(RollupKey.namespace("team", r), 0.0);
  }

  @Test
  void containersTradingPlacesAreBilledPerContainerAndInterval() throws Exception {
    // Working sets step at the scrapes, so the trapezoid of each minute is exact at these values.
    scrape(0, 0, 2, 0, 0);
    scrape(1, 120, 2, 0, 0);
    scrape(2, 120, 0, 120, 2);
    scrape(3, 120, 0, 120, 2);

    // Per namespace and day: usage 4 core-minutes (240 s), requests 6 (3 minutes × 2 cores).
    assertThat(month(Resource.CPU)).isEqualTo(240.0);
    assertThat(month(Resource.REQUEST_CPU)).isEqualTo(360.0);
    // Per container and minute: 2+1, 1+2, then both idle at their request 1+1: 8 core-minutes.
    assertThat(month(Resource.BILLABLE_CPU)).isEqualTo(480.0);
    // Memory: minute 1 busy 2 GiB + idle 1 (request); minute 2 busy 1 (2→0 averages 1, its
    // request) + idle 1 (0→2 averages 1); minute 3 busy 1 + idle 2: 8 GiB-minutes, against usage
    // 2 + 2 + 2 = 6 and requests 6.
    assertThat(month(Resource.BILLABLE_MEMORY) / GIB).isEqualTo(480.0);
    assertThat(month(Resource.MEMORY) / GIB).isEqualTo(360.0);

    Bill bill =
        new Biller(store, book, InstantSource.fixed(Instant.ofEpochMilli(T0 + 3_600_000L)))
            .bill("team", YearMonth.of(2026, 11));
    Map<BillResource, BigDecimal> quantities =
        Map.of(
            bill.lines().get(0).resource(), bill.lines().get(0).quantity(),
            bill.lines().get(1).resource(), bill.lines().get(1).quantity());
    // 480 core-seconds = 0.1333 core-hours (per namespace it would be max(240, 360) = 0.1).
    assertThat(quantities.get(BillResource.CPU)).isEqualByComparingTo("0.1333");
    assertThat(quantities.get(BillResource.MEMORY)).isEqualByComparingTo("0.1333");
    // The cost accrued at ingest prices the same quantity: 480 s × 60 USD/3600 s = 8 USD, and 480
    // GiB-seconds × 6/3600 = 0.8 USD.
    double accrued =
        store.totals(Scope.NAMESPACE).entrySet().stream()
            .filter(e -> e.getKey().resource().isCost())
            .mapToDouble(e -> e.getValue().sum())
            .sum();
    assertThat(accrued).isCloseTo(8.8, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(bill.subtotal()).isEqualByComparingTo("8.80");
  }
}
