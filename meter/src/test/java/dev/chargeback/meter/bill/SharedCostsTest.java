package dev.chargeback.meter.bill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookException;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Shared costs spread to tenants: each tenant bill shows its share, a shared namespace's bill where
 * its cost went, and the tenants' bills add up to the whole cluster's cost to the minor unit.
 */
class SharedCostsTest {
  private static final double GIB = 1024.0 * 1024 * 1024;
  private static final YearMonth OCTOBER = YearMonth.of(2026, 10);

  /** USD (two decimals) with odd prices, so that shares leave remainders to allocate. */
  private static final String PLAIN =
      """
      currency: USD
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 0.0317, memoryGibHour: 0.0043, networkReceiveGib: 0, networkTransmitGib: 0.09, storageGibHour: 0.0001}
          taxRate: 0.07
          idle: separate
          namespaces:
            team-a: {discount: 0.15}
      """;

  private static final String SHARED =
      PLAIN
          + """
              shared:
                kube-system: proportional
                monitoring: even
                _idle: {weights: {team-a: 3, team-b: 1}}
          """;

  private final BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
  private final RollupStore store = new RollupStore(new MemoryKeyValueStore(), utc);

  private void meter(String ns, double cores, LocalDate from, LocalDate to) {
    List<Usage> usages = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
      long start = utc.startOf(d) * 1000;
      long end = start + 86_400_000L;
      usages.add(new Usage(ns, "Deployment/app", "", Resource.CPU, start, end, cores * 86400));
      usages.add(
          new Usage(ns, "Deployment/app", "", Resource.MEMORY, start, end, cores * GIB * 86400));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
  }

  private void meterOctober() {
    LocalDate first = OCTOBER.atDay(1);
    LocalDate last = OCTOBER.atEndOfMonth();
    meter("team-a", 2.3, first, last);
    meter("team-b", 0.7, first, last);
    meter("team-c", 1.1, first, last.minusDays(10));
    meter("kube-system", 0.9, first, last);
    meter("monitoring", 0.45, first, last);
    List<Usage> capacity = new ArrayList<>();
    for (LocalDate d = first; !d.isAfter(last); d = d.plusDays(1)) {
      long start = utc.startOf(d) * 1000;
      long end = start + 86_400_000L;
      capacity.add(new Usage("", "", "node-1", Resource.CAPACITY_CPU, start, end, 8 * 86400.0));
      capacity.add(
          new Usage("", "", "node-1", Resource.CAPACITY_MEMORY, start, end, 16 * GIB * 86400));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, capacity, Map.of(), 0));
  }

  private Biller biller(String book, String now) {
    PriceBook prices = PriceBookLoader.parse(book, "test");
    return new Biller(store, prices, InstantSource.fixed(Instant.parse(now)));
  }

  private static BigDecimal sum(List<Bill> bills) {
    return bills.stream().map(Bill::total).reduce(BigDecimal.ZERO, BigDecimal::add);
  }

  @Test
  void tenantBillsAddUpToTheClusterCostToTheCent() {
    meterOctober();
    Biller plain = biller(PLAIN, "2026-11-05T00:00:00Z");
    Biller shared = biller(SHARED, "2026-11-05T00:00:00Z");
    List<Bill> before = plain.bills(OCTOBER, plain.namespaces());
    List<Bill> after = shared.bills(OCTOBER, shared.namespaces());
    Map<String, Bill> own = before.stream().collect(Collectors.toMap(Bill::namespace, b -> b));
    Map<String, Bill> spread = after.stream().collect(Collectors.toMap(Bill::namespace, b -> b));
    // The cluster's cost: every namespace's own bill, the idle capacity's included.
    BigDecimal cluster = sum(before);
    assertThat(own).containsKeys("kube-system", "monitoring", Biller.IDLE);
    List<Bill> tenants =
        after.stream()
            .filter(b -> List.of("team-a", "team-b", "team-c").contains(b.namespace()))
            .toList();
    assertThat(sum(tenants)).isEqualByComparingTo(cluster);
    assertThat(sum(after)).isEqualByComparingTo(cluster);

    // Shared namespaces' bills say where their cost went, and keep nothing.
    for (String pool : List.of("kube-system", "monitoring", Biller.IDLE)) {
      Bill b = spread.get(pool);
      assertThat(b.subtotal()).isEqualByComparingTo(own.get(pool).subtotal());
      assertThat(b.sharesTotal()).isEqualByComparingTo(own.get(pool).total().negate());
      assertThat(b.total()).isEqualByComparingTo(BigDecimal.ZERO);
      assertThat(b.shares()).allMatch(s -> s.from().equals(pool) && s.amount().signum() <= 0);
    }
    // kube-system spreads in proportion to the tenants' own cost (lines before discount and tax).
    BigDecimal tenantsOwn =
        own.get("team-a")
            .subtotal()
            .add(own.get("team-b").subtotal())
            .add(own.get("team-c").subtotal());
    BigDecimal kubeSystem = own.get("kube-system").total();
    for (String t : List.of("team-a", "team-b", "team-c")) {
      Bill b = spread.get(t);
      Bill.Share ks = share(b, "kube-system");
      double exact =
          kubeSystem.doubleValue() * own.get(t).subtotal().doubleValue() / tenantsOwn.doubleValue();
      assertThat(ks.amount().doubleValue())
          .isCloseTo(exact, org.assertj.core.data.Offset.offset(0.01));
      // monitoring: even thirds, which 0.45 cores' cost does not divide: they differ by a cent at
      // most.
      assertThat(share(b, "monitoring").fraction()).isEqualByComparingTo("0.333333");
      // Every bill still adds up.
      assertThat(b.total())
          .isEqualByComparingTo(
              b.subtotal().subtract(b.discount()).add(b.tax()).add(b.sharesTotal()));
      assertThat(b.total()).isEqualByComparingTo(own.get(t).total().add(b.sharesTotal()));
    }
    List<BigDecimal> thirds = tenants.stream().map(b -> share(b, "monitoring").amount()).toList();
    assertThat(thirds.stream().reduce(BigDecimal.ZERO, BigDecimal::add))
        .isEqualByComparingTo(own.get("monitoring").total());
    assertThat(
            thirds.stream()
                .max(BigDecimal::compareTo)
                .get()
                .subtract(thirds.stream().min(BigDecimal::compareTo).get()))
        .isLessThanOrEqualTo(new BigDecimal("0.01"));
    // Idle capacity by fixed weights 3:1; team-c has no weight and gets none.
    Bill.Share idleA = share(spread.get("team-a"), Biller.IDLE);
    Bill.Share idleB = share(spread.get("team-b"), Biller.IDLE);
    assertThat(idleA.amount().add(idleB.amount()))
        .isEqualByComparingTo(own.get(Biller.IDLE).total());
    assertThat(idleA.amount().subtract(idleB.amount().multiply(BigDecimal.valueOf(3))).abs())
        .isLessThanOrEqualTo(new BigDecimal("0.03"));
    assertThat(spread.get("team-c").shares()).noneMatch(s -> s.from().equals(Biller.IDLE));
    assertThat(spread.get("team-a").shareLabel(idleA)).isEqualTo("shared: idle capacity 75.0%");

    // In words, on every rendering.
    Bill a = spread.get("team-a");
    String label = a.shareLabel(share(a, "kube-system"));
    assertThat(label).matches("shared: kube-system \\d+\\.\\d%");
    assertThat(BillJson.tree(a).get("shares").toString())
        .contains("\"item\":\"shared:kube-system\"");
    assertThat(new String(BillCsv.render(a), StandardCharsets.UTF_8)).contains(label);
    Bill ks = spread.get("kube-system");
    assertThat(ks.shareLabel(ks.shares().getFirst())).startsWith("spread to team-a ");
    // FOCUS: the cost column adds up to the same cluster total, and the spread is an adjustment.
    String focus = new String(FocusCsv.render(after, utc, "acme"), StandardCharsets.UTF_8);
    assertThat(focus).contains("Shared cost of namespace kube-system spread to namespace team-a");
    BigDecimal focusSum = BigDecimal.ZERO;
    for (String row : focus.lines().skip(1).toList()) {
      focusSum = focusSum.add(new BigDecimal(row.substring(0, row.indexOf(','))));
    }
    assertThat(focusSum).isEqualByComparingTo(cluster);
  }

  private static Bill.Share share(Bill bill, String from) {
    return bill.shares().stream().filter(s -> s.from().equals(from)).findFirst().orElseThrow();
  }

  @Test
  void aSingleBillCarriesTheSameSharesAsAllBillsAtOnce() {
    meterOctober();
    Biller shared = biller(SHARED, "2026-11-05T00:00:00Z");
    Bill alone = shared.bill("team-b", OCTOBER);
    Bill inAll =
        shared.bills(OCTOBER, shared.namespaces()).stream()
            .filter(b -> b.namespace().equals("team-b"))
            .findFirst()
            .orElseThrow();
    assertThat(alone.shares()).isEqualTo(inAll.shares());
    assertThat(alone.total()).isEqualByComparingTo(inAll.total());
  }

  @Test
  void aPoolWithNoTenantKeepsItsCostAndSaysSo() {
    LocalDate first = OCTOBER.atDay(1);
    meter("kube-system", 0.9, first, first.plusDays(3));
    meter("team-z", 1, first, first.plusDays(3));
    Bill ks =
        biller(
                SHARED
                    .replace("idle: separate", "idle: ignore")
                    .replace("      _idle: {weights: {team-a: 3, team-b: 1}}\n", "")
                    .replace("monitoring: even", "monitoring: {weights: {team-a: 1}}"),
                "2026-11-05T00:00:00Z")
            .bill("kube-system", OCTOBER);
    // kube-system spreads to team-z (proportional); monitoring had no usage, nothing to say.
    assertThat(ks.total()).isEqualByComparingTo(BigDecimal.ZERO);
    Bill lonely =
        biller(
                SHARED
                    .replace("idle: separate", "idle: ignore")
                    .replace("      _idle: {weights: {team-a: 3, team-b: 1}}\n", "")
                    .replace("kube-system: proportional", "kube-system: {weights: {team-a: 1}}"),
                "2026-11-05T00:00:00Z")
            .bill("kube-system", OCTOBER);
    assertThat(lonely.shares()).isEmpty();
    assertThat(lonely.total()).isPositive();
    assertThat(lonely.notes())
        .anyMatch(n -> n.contains("was not spread: no tenant namespace had a weight"));
  }

  @Test
  void aLateChangeToASharedNamespaceInAClosedMonthIsCorrectedOnTenantBills() {
    meterOctober();
    PriceBook book = PriceBookLoader.parse(SHARED, "test");
    new MonthClose(
            store,
            book,
            Duration.ofHours(72),
            InstantSource.fixed(Instant.parse("2026-11-04T00:00:00Z")))
        .run();
    meter("team-a", 1, LocalDate.of(2026, 11, 1), LocalDate.of(2026, 11, 4));
    meter("team-b", 1, LocalDate.of(2026, 11, 1), LocalDate.of(2026, 11, 4));
    Biller biller = biller(SHARED, "2026-11-05T00:00:00Z");
    Bill finalA = biller.bill("team-a", OCTOBER);
    assertThat(finalA.closing()).isNotNull();
    assertThat(finalA.shares()).isNotEmpty();
    // Late data: kube-system used more in October than its final bill says.
    meter("kube-system", 0.5, LocalDate.of(2026, 10, 20), LocalDate.of(2026, 10, 20));
    assertThat(biller.bill("team-a", OCTOBER)).isEqualTo(finalA);
    List<Bill> november = biller.bills(YearMonth.of(2026, 11), List.of("team-a", "team-b"));
    BigDecimal corrected =
        november.stream()
            .flatMap(b -> b.corrections().stream())
            .filter(c -> c.item().equals("shared:kube-system"))
            .map(Bill.Correction::amount)
            .reduce(BigDecimal.ZERO, BigDecimal::add);
    // team-c had no November bill to carry its part: the two tenants carry theirs.
    assertThat(corrected).isPositive();
    assertThat(november.getFirst().corrections()).allMatch(c -> c.month().equals(OCTOBER));
  }

  @Test
  void brokenSharedSectionsNameTheKey() {
    assertThatThrownBy(
            () -> PriceBookLoader.parse(SHARED.replace("idle: separate", "idle: share"), "b"))
        .isInstanceOf(PriceBookException.class)
        .hasMessageContaining("'versions[0].shared._idle'")
        .hasMessageContaining("idle: separate");
    assertThatThrownBy(() -> PriceBookLoader.parse(SHARED.replace("even", "evenly"), "b"))
        .hasMessageContaining("'versions[0].shared.monitoring'")
        .hasMessageContaining("proportional, even, weights");
    assertThatThrownBy(
            () -> PriceBookLoader.parse(SHARED.replace("team-b: 1}", "team-b: -1}"), "b"))
        .hasMessageContaining("'versions[0].shared._idle.weights.team-b': must not be negative");
    assertThatThrownBy(
            () ->
                PriceBookLoader.parse(SHARED.replace("{team-a: 3, team-b: 1}", "{team-a: 0}"), "b"))
        .hasMessageContaining("at least one weight must be positive");
    assertThatThrownBy(() -> PriceBookLoader.parse(SHARED.replace("{weights:", "{wieghts:"), "b"))
        .hasMessageContaining("unknown key 'versions[0].shared._idle.wieghts'");
    assertThatThrownBy(
            () -> PriceBookLoader.parse(SHARED.replace("team-b: 1}", "monitoring: 1}"), "b"))
        .hasMessageContaining(
            "'versions[0].shared._idle.weights.monitoring': a shared namespace is not a tenant");
    assertThatThrownBy(
            () ->
                PriceBookLoader.parse(
                    SHARED.replace("{team-a: 3, team-b: 1}", "{team-a: lots}"), "b"))
        .hasMessageContaining("'versions[0].shared._idle.weights.team-a': 'lots' is not a number");
  }
}
