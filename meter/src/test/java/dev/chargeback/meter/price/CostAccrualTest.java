package dev.chargeback.meter.price;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class CostAccrualTest {
  private static final double GIB = 1024.0 * 1024 * 1024;
  private static final String BOOK =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
          namespaces:
            team-a: {discount: 0.15}
        - effectiveFrom: "2026-11-02"
          prices: {cpuCoreHour: 50, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
          basis: request
      """;

  private final CostAccrual accrual =
      new CostAccrual(
          PriceBookLoader.parse(BOOK, "t"), new BillingCalendar(ZoneId.of("Asia/Seoul")));

  private static long at(String t) {
    return ZonedDateTime.parse(t).toInstant().toEpochMilli();
  }

  @Test
  void pricesUsageWithTheLocalDaysVersionAfterDiscount() {
    // 23:00 on 1 Nov in Seoul (version 1): one core-hour at 45, less 15 % for team-a.
    long from = at("2026-11-01T14:00:00Z");
    long to = at("2026-11-01T14:59:59Z");
    List<Usage> costs =
        accrual.costs(
            List.of(
                new Usage("team-a", "Deployment/x", "", Resource.CPU, from, to, 3600),
                new Usage("team-b", "", "", Resource.NETWORK_TRANSMIT, from, to, 2 * GIB),
                new Usage("", "", "node", Resource.CAPACITY_CPU, from, to, 3600)));
    assertThat(costs)
        .extracting(Usage::resource)
        .containsExactly(Resource.COST_CPU, Resource.COST_NETWORK_TRANSMIT);
    assertThat(costs.get(0).amount()).isCloseTo(45 * 0.85, within(1e-9));
    assertThat(costs.get(0).workload()).isEqualTo("Deployment/x");
    assertThat(costs.get(1).amount()).isCloseTo(300, within(1e-9));
  }

  @Test
  void requestBasisAccruesOnRequestsNotUsage() {
    // 10:00 on 2 Nov in Seoul: version 2, basis request, no discount.
    long from = at("2026-11-02T01:00:00Z");
    long to = at("2026-11-02T02:00:00Z");
    List<Usage> costs =
        accrual.costs(
            List.of(
                new Usage("team-a", "", "", Resource.CPU, from, to, 3600),
                new Usage("team-a", "", "", Resource.REQUEST_CPU, from, to, 2 * 3600)));
    assertThat(costs)
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.resource()).isEqualTo(Resource.COST_CPU);
              assertThat(c.amount()).isCloseTo(100, within(1e-9));
            });
  }
}
