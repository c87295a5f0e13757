package dev.chargeback.meter.bill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.InstrumentedKeyValueStore;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Under pod churn a namespace collects a new workload name per pod. A month's bill must cost what
 * that month holds, whatever came before: the same reads with 200 or 20,000 workloads in the
 * namespace's past months.
 */
class BillCostTest {
  private final BillingCalendar utc = new BillingCalendar(ZoneOffset.UTC);

  /** Entries a November bill reads after {@code pastWorkloads} unique workloads in the summer. */
  private long readsOfABill(int pastWorkloads) {
    InstrumentedKeyValueStore kv = new InstrumentedKeyValueStore(new MemoryKeyValueStore());
    RollupStore store = new RollupStore(kv, utc);
    List<Usage> usages = new ArrayList<>();
    long summer = utc.startOf(LocalDate.of(2026, 6, 1)) * 1000;
    for (int w = 0; w < pastWorkloads; w++) {
      long from = summer + w * 60_000L;
      usages.add(new Usage("ci", "Job/step-" + w, "", Resource.CPU, from, from + 3_600_000, 60));
    }
    long november = utc.startOf(LocalDate.of(2026, 11, 2)) * 1000;
    for (int w = 0; w < 3; w++) {
      usages.add(
          new Usage(
              "ci",
              "Deployment/runner-" + w,
              "",
              Resource.CPU,
              november,
              november + 3_600_000,
              3600));
    }
    store.apply(new Ingest("t", november, Long.MIN_VALUE, 0, usages, Map.of(), 0));
    Biller biller =
        new Biller(
            store,
            PriceBookLoader.defaults(),
            InstantSource.fixed(Instant.parse("2026-11-20T00:00:00Z")));
    long before = kv.reads.get();
    Bill bill = biller.bill("ci", YearMonth.of(2026, 11));
    assertThat(bill.topWorkloads()).hasSize(3);
    return kv.reads.get() - before;
  }

  @Test
  void aMonthsBillReadsTheSameHoweverManyWorkloadsCameBefore() {
    long few = readsOfABill(200);
    long many = readsOfABill(20_000);
    assertThat(many).as("reads with 20,000 past workloads vs 200").isEqualTo(few);
  }
}
