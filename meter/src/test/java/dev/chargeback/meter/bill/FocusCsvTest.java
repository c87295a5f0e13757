package dev.chargeback.meter.bill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The FOCUS export read back by an independent reader (DuckDB), its invariants checked in SQL: a
 * month in Seoul (so local days are not UTC days) with a price change, a discount, tax and uneven
 * usage, whose amounts do not split evenly over days.
 */
class FocusCsvTest {
  private static final double GIB = 1024.0 * 1024 * 1024;
  private static final String BOOK =
      """
      currency: USD
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 0.045, memoryGibHour: 0.006, networkReceiveGib: 0, networkTransmitGib: 0.09, storageGibHour: 0.0002}
          taxRate: 0.10
          namespaces:
            team-a: {discount: 0.15}
        - effectiveFrom: "2026-10-16"
          prices: {cpuCoreHour: 0.05, memoryGibHour: 0.0065, networkReceiveGib: 0.01, networkTransmitGib: 0.09, storageGibHour: 0.00025}
          taxRate: 0.10
          namespaces:
            team-a: {discount: 0.15, prices: {cpuCoreHour: 0.04}}
      """;

  @TempDir Path dir;

  private final BillingCalendar seoul = new BillingCalendar(ZoneId.of("Asia/Seoul"));

  private List<Bill> october() {
    RollupStore store = new RollupStore(new MemoryKeyValueStore(), seoul);
    List<Usage> usages = new ArrayList<>();
    for (int d = 1; d <= 31; d++) {
      long start = seoul.startOf(LocalDate.of(2026, 10, d)) * 1000;
      long end = start + 86_400_000L;
      double wave = 1 + (d * 7 % 11) / 10.0;
      for (String ns : List.of("team-a", "team-b")) {
        double scale = ns.equals("team-a") ? 1.3 : 0.7;
        usages.add(
            new Usage(
                ns, "Deployment/api", "", Resource.CPU, start, end, scale * wave * 86400 / 3));
        usages.add(
            new Usage(
                ns,
                "Deployment/api",
                "",
                Resource.MEMORY,
                start,
                end,
                scale * wave * GIB * 86400 / 7));
        usages.add(
            new Usage(
                ns,
                "Deployment/api",
                "",
                Resource.NETWORK_TRANSMIT,
                start,
                end,
                scale * wave * GIB / 3));
      }
      usages.add(
          new Usage(
              "team-a",
              "PersistentVolumeClaim/data",
              "",
              Resource.STORAGE,
              start,
              end,
              20 * GIB * 86400));
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
    store
        .labels()
        .record(
            "team-a", YearMonth.of(2026, 10), Map.of("team", "payments", "cost-center", "CC-1017"));
    PriceBook book = PriceBookLoader.parse(BOOK, "test");
    Biller biller =
        new Biller(store, book, InstantSource.fixed(Instant.parse("2026-11-05T00:00:00Z")));
    return biller.bills(YearMonth.of(2026, 10), biller.namespaces());
  }

  private static long count(Statement sql, String query) throws Exception {
    try (ResultSet r = sql.executeQuery(query)) {
      r.next();
      return r.getLong(1);
    }
  }

  @Test
  void rowsAddUpToEachBillAndFollowFocusRules() throws Exception {
    List<Bill> bills = october();
    assertThat(bills).extracting(Bill::namespace).containsExactly("team-a", "team-b");
    Path file = dir.resolve("focus.csv");
    Files.write(file, FocusCsv.render(bills, seoul, "Platform Engineering"));

    try (Connection db = DriverManager.getConnection("jdbc:duckdb:");
        Statement sql = db.createStatement()) {
      sql.execute(
          "CREATE TABLE f AS SELECT * FROM read_csv('"
              + file
              + "', header=true, all_varchar=true)");
      // Every mandatory FOCUS 1.2 column, then the conditional ones that apply, then custom ones.
      List<String> columns = new ArrayList<>();
      try (ResultSet r = sql.executeQuery("SELECT column_name FROM (DESCRIBE f)")) {
        while (r.next()) {
          columns.add(r.getString(1));
        }
      }
      assertThat(columns).containsExactlyElementsOf(FocusCsv.COLUMNS);

      // Per invoice (bill number) the billed cost is the bill's total, tax rows included.
      Map<String, BigDecimal> billed = new TreeMap<>();
      try (ResultSet r =
          sql.executeQuery(
              "SELECT InvoiceId, SUM(CAST(BilledCost AS DECIMAL(38,10))) FROM f GROUP BY 1")) {
        while (r.next()) {
          billed.put(r.getString(1), r.getBigDecimal(2));
        }
      }
      assertThat(billed).hasSize(2);
      for (Bill b : bills) {
        assertThat(billed.get(b.billNumber())).as(b.namespace()).isEqualByComparingTo(b.total());
      }
      // Tax rows carry exactly the bills' tax.
      BigDecimal tax = bills.stream().map(Bill::tax).reduce(BigDecimal.ZERO, BigDecimal::add);
      try (ResultSet r =
          sql.executeQuery(
              "SELECT SUM(CAST(BilledCost AS DECIMAL(38,10))) FROM f WHERE ChargeCategory='Tax'")) {
        r.next();
        assertThat(r.getBigDecimal(1)).isEqualByComparingTo(tax);
      }
      // Unit prices times quantity are the list and contracted costs, exactly.
      assertThat(
              count(
                  sql,
                  "SELECT count(*) FROM f WHERE ChargeCategory='Usage' AND ("
                      + "CAST(ListCost AS DECIMAL(38,12)) <> CAST(ListUnitPrice AS DECIMAL(38,12))"
                      + " * CAST(PricingQuantity AS DECIMAL(38,12)) OR CAST(ContractedCost AS"
                      + " DECIMAL(38,12)) <> CAST(ContractedUnitPrice AS DECIMAL(38,12)) *"
                      + " CAST(PricingQuantity AS DECIMAL(38,12)))"))
          .isZero();
      // team-a's own CPU price is below the list price, and its discount shows in BilledCost.
      assertThat(
              count(
                  sql,
                  "SELECT count(*) FROM f WHERE x_Namespace='team-a' AND x_Resource='cpu' AND"
                      + " ChargePeriodStart >= '2026-10-15T15:00:00Z' AND CAST(ContractedUnitPrice"
                      + " AS DECIMAL(9,4)) = 0.04 AND CAST(ListUnitPrice AS DECIMAL(9,4)) = 0.05"))
          .isEqualTo(16);
      assertThat(count(sql, "SELECT count(*) FROM f WHERE EffectiveCost <> BilledCost")).isZero();
      // Mandatory columns are never null.
      for (String c :
          List.of(
              "BilledCost",
              "BillingAccountId",
              "BillingCurrency",
              "BillingPeriodEnd",
              "BillingPeriodStart",
              "ChargeCategory",
              "ChargeDescription",
              "ChargePeriodEnd",
              "ChargePeriodStart",
              "ContractedCost",
              "EffectiveCost",
              "InvoiceIssuerName",
              "ListCost",
              "ProviderName",
              "PublisherName",
              "ServiceCategory",
              "ServiceName")) {
        assertThat(count(sql, "SELECT count(*) FROM f WHERE " + c + " IS NULL")).as(c).isZero();
      }
      // Tax rows have no quantity or unit price; usage rows always do.
      assertThat(
              count(
                  sql,
                  "SELECT count(*) FROM f WHERE ChargeCategory='Tax' AND (PricingQuantity IS NOT"
                      + " NULL OR ListUnitPrice IS NOT NULL OR PricingUnit IS NOT NULL)"))
          .isZero();
      assertThat(
              count(
                  sql,
                  "SELECT count(*) FROM f WHERE ChargeCategory='Usage' AND (PricingQuantity IS"
                      + " NULL OR PricingUnit IS NULL OR ConsumedQuantity IS NULL)"))
          .isZero();
      assertThat(count(sql, "SELECT count(*) FROM f WHERE ChargeClass IS NOT NULL")).isZero();
      // UTC date/times, a Seoul day from 15:00Z to 15:00Z; the billing period is the local month.
      assertThat(
              count(
                  sql,
                  "SELECT count(*) FROM f WHERE NOT regexp_full_match(ChargePeriodStart,"
                      + " '\\d{4}-\\d{2}-\\d{2}T15:00:00Z') OR BillingPeriodStart <>"
                      + " '2026-09-30T15:00:00Z' OR BillingPeriodEnd <> '2026-10-31T15:00:00Z'"))
          .isZero();
      assertThat(
              count(
                  sql,
                  "SELECT count(DISTINCT ChargePeriodStart) FROM f WHERE ChargeCategory='Usage'"))
          .isEqualTo(31);
      assertThat(
              count(
                  sql,
                  "SELECT count(*) FROM f WHERE ServiceCategory NOT IN"
                      + " ('Compute','Networking','Storage','Other') OR PricingUnit NOT IN"
                      + " ('Core-Hours','GiB-Hours','GiB')"))
          .isZero();
      try (ResultSet r =
          sql.executeQuery("SELECT DISTINCT Tags FROM f WHERE x_Namespace='team-a'")) {
        r.next();
        assertThat(r.getString(1)).isEqualTo("{\"cost-center\":\"CC-1017\",\"team\":\"payments\"}");
      }
    }
  }

  @Test
  void largestRemainderKeepsTheSum() {
    BigDecimal[] parts =
        dev.chargeback.meter.price.Allocation.allocate(
            new BigDecimal("10.00"), new double[] {1, 1, 1}, 2);
    assertThat(parts)
        .containsExactly(new BigDecimal("3.34"), new BigDecimal("3.33"), new BigDecimal("3.33"));
    BigDecimal[] none =
        dev.chargeback.meter.price.Allocation.allocate(
            new BigDecimal("-0.05"), new double[] {3, 1}, 2);
    assertThat(none[0].add(none[1])).isEqualByComparingTo("-0.05");
  }
}
