package dev.chargeback.exporter.role;

import dev.chargeback.meter.bill.BillException;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.MonthClose;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceHistory;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code chargeback reprice --prices FILE}: the explicit way to change prices already in force. It
 * prints each change and how this and last month's totals move, then records the new book so the
 * meter accepts it. It writes, so it runs while the meter is stopped.
 */
public final class RepriceCommand {
  /** Its own flag: {@code --correct-closed true} bills the change to closed months too. */
  public static final Set<String> FLAGS = Set.of("correct-closed");

  private RepriceCommand() {}

  public static void run(ChargebackConfig c, Map<String, String> flags, PrintStream out) {
    String correct = flags.getOrDefault("correct-closed", "false");
    if (!correct.equals("true") && !correct.equals("false")) {
      throw new ConfigException("--correct-closed must be true or false");
    }
    BillingCalendar calendar = new BillingCalendar(c.billing().zone());
    try (RollupStore store =
        new RollupStore(RocksKeyValueStore.openPrimary(Path.of(c.data()), true), calendar)) {
      PriceBook book = Roles.priceBook(c);
      LocalDate today = LocalDate.now(calendar.zone());
      List<String> changes = PriceHistory.changes(store, book, today);
      if (changes.isEmpty()) {
        out.println("no price version in force changes; nothing to reprice");
        PriceHistory.record(store, book, today);
        return;
      }
      out.println("price changes to versions in force:");
      changes.forEach(line -> out.println("  " + line));
      Biller after = new Biller(store, book, InstantSource.system());
      YearMonth now = after.currentMonth();
      List<YearMonth> closed = MonthClose.closedMonths(store);
      if (!closed.isEmpty() && correct.equals("true")) {
        for (YearMonth m : closed) {
          MonthClose.correctPrices(store, m, Instant.now());
        }
        out.println(
            "closed months keep their final bills; the new prices are billed as corrections to "
                + closed
                + " on the next open bill");
      } else if (!closed.isEmpty()) {
        out.println(
            "closed months keep their final bills and prices: "
                + closed
                + " (--correct-closed true bills the new prices as corrections on the next bill)");
      }
      for (YearMonth month : List.of(now.minusMonths(1), now)) {
        if (closed.contains(month)) {
          continue;
        }
        Map<String, String> totals = new LinkedHashMap<>();
        for (String ns : after.namespaces()) {
          try {
            totals.put(ns, after.bill(ns, month).total().toPlainString());
          } catch (BillException e) {
            // Not metered that month.
          }
        }
        out.println(month + " totals with the new prices (" + book.currency() + "): " + totals);
      }
      PriceHistory.record(store, book, today);
      out.println("recorded: the meter now accepts this price book");
    }
  }
}
