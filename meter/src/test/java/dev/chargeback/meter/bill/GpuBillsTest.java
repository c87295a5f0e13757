package dev.chargeback.meter.bill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * GPUs with hand-computed numbers: a whole H100, a MIG slice of one and a time-sliced share of an
 * A10G, priced per model (node class) and MIG profile, under each GPU basis, and the idle GPUs.
 */
class GpuBillsTest {
  private static final YearMonth OCTOBER = YearMonth.of(2026, 10);
  private static final String PRODUCT = "nvidia.com/gpu.product";

  /** A GPU-hour 1,000 and a 1g.10gb slice 200; on H100 nodes 4,000 and 600. */
  private static final String BOOK =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 40, memoryGibHour: 0, networkReceiveGib: 0, networkTransmitGib: 0, storageGibHour: 0,
                   gpuHour: 1000, migHour: {"1g.10gb": 200}}
          idle: %s
          gpuBasis: %s
          nodeClasses:
            - name: h100
              selector: nvidia.com/gpu.product=NVIDIA-H100-80GB-HBM3
              prices: {gpuHour: 4000, migHour: {"1g.10gb": 600}}
      """;

  private final BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
  private RollupStore store;
  private final long day = Instant.parse("2026-10-05T00:00:00Z").toEpochMilli();

  @BeforeEach
  void gpuNodes() {
    store = new RollupStore(new MemoryKeyValueStore(), utc);
    long since = Instant.parse("2026-10-01T00:00:00Z").getEpochSecond();
    // gpu-1: H100s, two whole and seven 1g.10gb slices; gpu-2: one A10G shared as 4 replicas.
    store.nodeLabels().record("gpu-1", Map.of(PRODUCT, "NVIDIA-H100-80GB-HBM3"), since);
    store
        .nodeLabels()
        .record("gpu-2", Map.of(PRODUCT, "NVIDIA-A10G", PriceBook.GPU_REPLICAS, "4"), since);
    apply(
        // team-ml: a whole H100 for 10 hours, a 1g.10gb slice all day.
        gpu("team-ml", "gpu-1", Resource.REQUEST_GPU, "", 1, 0, 10),
        gpu("team-ml", "gpu-1", Resource.REQUEST_GPU, "1g.10gb", 1, 0, 24),
        // team-web: one replica of the shared A10G all day.
        gpu("team-web", "gpu-2", Resource.REQUEST_GPU, "", 1, 0, 24),
        // Capacity, as kube-state-metrics reports it: in replicas on gpu-2.
        gpu("", "gpu-1", Resource.CAPACITY_GPU, "", 2, 0, 24),
        gpu("", "gpu-1", Resource.CAPACITY_GPU, "1g.10gb", 7, 0, 24),
        gpu("", "gpu-2", Resource.CAPACITY_GPU, "", 4, 0, 24),
        // dcgm-exporter: the whole H100 at 50 % for its 10 hours.
        gpu("team-ml", "gpu-1", Resource.GPU, "", 0.5, 0, 10));
  }

  private Usage gpu(
      String ns, String node, Resource r, String device, double count, int fromHour, int toHour) {
    long from = day + fromHour * 3_600_000L;
    long to = day + toHour * 3_600_000L;
    return new Usage(
        ns, ns.isEmpty() ? "" : "Job/train", node, r, from, to, count * (to - from) / 1000, device);
  }

  private void apply(Usage... usages) {
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, List.of(usages), Map.of(), 0));
  }

  private Bill bill(String idle, String basis, String namespace) {
    PriceBook book = PriceBookLoader.parse(BOOK.formatted(idle, basis), "test");
    return new Biller(store, book, InstantSource.fixed(Instant.parse("2026-11-05T00:00:00Z")))
        .bill(namespace, OCTOBER);
  }

  @Test
  void aWholeGpuAMigSliceAndATimeSlicedShareArePricedByModelAndProfile() {
    // 10 H100-hours × 4,000; 24 slice-hours × 600; 24 replica-hours of 4 = 6 GPU-hours × 1,000.
    assertThat(Lines.of(bill("ignore", "request", "team-ml")))
        .containsExactly(
            "GPU · h100 10.0000 × 4000 = 40000", "GPU 1g.10gb · h100 24.0000 × 600 = 14400");
    assertThat(Lines.of(bill("ignore", "request", "team-web")))
        .containsExactly("GPU 6.0000 × 1000 = 6000");
    Bill ml = bill("ignore", "request", "team-ml");
    assertThat(ml.total()).isEqualByComparingTo("54400");
    assertThat(BillJson.tree(ml).get("lines").get(1).get("device").asText()).isEqualTo("1g.10gb");
    assertThat(new String(BillCsv.render(ml), StandardCharsets.UTF_8))
        .contains("team-ml,2026-10,gpu,h100,1g.10gb,,24.0000,GPU-hours,600,14400,KRW");
    // FOCUS: a usage row per line and day, its day's share of the line, in GPU-Hours.
    String focus = new String(FocusCsv.render(List.of(ml), utc, "acme"), StandardCharsets.UTF_8);
    assertThat(focus.lines().filter(l -> l.contains("GPU-Hours") && l.endsWith(",gpu,h100,")))
        .hasSize(2)
        .anyMatch(l -> l.startsWith("14400,"))
        .anyMatch(l -> l.startsWith("40000,"));
  }

  @Test
  void aMigProfileWithoutAPriceIsShownAndSaidSo() {
    apply(gpu("team-web", "gpu-1", Resource.REQUEST_GPU, "2g.20gb", 1, 0, 2));
    Bill web = bill("ignore", "request", "team-web");
    assertThat(Lines.of(web)).contains("GPU 2g.20gb · h100 2.0000 × 0 = 0");
    assertThat(web.notes())
        .contains("MIG profile 2g.20gb without a price in the price book: billed at 0");
  }

  @Test
  void theGpuBasisBillsRequestsUtilisationOrTheLarger() {
    // The whole H100 ran at 50 %: 5 utilisation-weighted GPU-hours against 10 requested. The
    // slice has no dcgm figures: its requests stand under every basis.
    assertThat(Lines.of(bill("ignore", "usage", "team-ml")))
        .containsExactly(
            "GPU · h100 5.0000 × 4000 = 20000", "GPU 1g.10gb · h100 24.0000 × 600 = 14400");
    assertThat(Lines.of(bill("ignore", "max", "team-ml")).getFirst())
        .isEqualTo("GPU · h100 10.0000 × 4000 = 40000");
  }

  @Test
  void idleGpusArePricedPerModelAndProfile() {
    // gpu-1: 48 whole GPU-hours, 10 requested → 38 × 4,000; 168 slice-hours, 24 requested → 144 ×
    // 600. gpu-2: 96 replica-hours = 24 GPU-hours, 6 requested → 18 × 1,000.
    assertThat(Lines.of(bill("separate", "request", Biller.IDLE)))
        .containsExactly(
            "Idle GPUs 18.0000 × 1000 = 18000",
            "Idle GPUs · h100 38.0000 × 4000 = 152000",
            "Idle GPUs 1g.10gb · h100 144.0000 × 600 = 86400");
    // Shared: each namespace carries the idle time of the devices it requested.
    assertThat(Lines.of(bill("share", "request", "team-web")))
        .containsExactly("GPU 6.0000 × 1000 = 6000", "Idle GPUs 18.0000 × 1000 = 18000");
  }

  @Test
  void theMeteredCostMetricPaysTheModelsAndProfilesPrice() {
    CostAccrual accrual =
        new CostAccrual(
            PriceBookLoader.parse(BOOK.formatted("ignore", "request"), "test"),
            utc,
            store.nodeLabels()::at);
    List<Usage> costs =
        accrual.costs(
            List.of(
                gpu("team-ml", "gpu-1", Resource.REQUEST_GPU, "", 1, 0, 1),
                gpu("team-ml", "gpu-1", Resource.REQUEST_GPU, "1g.10gb", 1, 0, 1),
                gpu("team-web", "gpu-2", Resource.REQUEST_GPU, "", 1, 0, 1),
                gpu("team-ml", "gpu-1", Resource.GPU, "", 0.5, 0, 1)));
    // An H100-hour 4,000, a slice-hour 600, a replica-hour of an A10G 1,000 / 4; utilisation is
    // not billed under basis request.
    assertThat(costs)
        .extracting(u -> BigDecimal.valueOf(u.amount()).stripTrailingZeros().toPlainString())
        .containsExactly("4000", "600", "250");
  }
}
