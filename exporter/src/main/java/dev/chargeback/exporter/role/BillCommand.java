package dev.chargeback.exporter.role;

import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillArchive;
import dev.chargeback.meter.bill.BillCsv;
import dev.chargeback.meter.bill.BillJson;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.FocusCsv;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code chargeback bill --ns NS --month YYYY-MM -o FILE [--format pdf|json|csv]}: one bill to a
 * file, for scripts and cron. Reads the store as a secondary, so a running meter is no obstacle.
 */
public final class BillCommand {
  /** The flags this command reads besides the configuration's. */
  public static final Set<String> FLAGS = Set.of("ns", "month", "o", "output", "format");

  /** The flags of {@code export focus}. */
  public static final Set<String> FOCUS_FLAGS = Set.of("ns", "month", "o", "output");

  /** The flags of {@code bills}. */
  public static final Set<String> ALL_FLAGS = Set.of("month", "o", "output", "format");

  private BillCommand() {}

  /** Writes the bill; returns the path written. */
  public static Path run(ChargebackConfig c, Map<String, String> flags) throws IOException {
    String ns = flags.get("ns");
    if (ns == null) {
      throw new ConfigException("bill needs --ns NAMESPACE");
    }
    String out = flags.getOrDefault("o", flags.get("output"));
    String format =
        flags.getOrDefault(
            "format",
            out != null && out.endsWith(".json")
                ? "json"
                : out != null && out.endsWith(".csv") ? "csv" : "pdf");
    if (!Set.of("pdf", "json", "csv").contains(format)) {
      throw new ConfigException("--format must be pdf, json or csv");
    }
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openSecondary(Path.of(c.data())),
            new BillingCalendar(c.billing().zone()))) {
      Biller biller = Roles.biller(store, c);
      YearMonth month = month(flags, biller);
      Bill bill = biller.bill(ns, month);
      byte[] bytes =
          switch (format) {
            case "json" -> BillJson.render(bill);
            case "csv" -> BillCsv.render(bill);
            default -> Roles.pdf(c).render(bill);
          };
      Path target = Path.of(out != null ? out : "bill-" + ns + "-" + month + "." + format);
      Files.write(target, bytes);
      return target;
    }
  }

  /**
   * {@code chargeback bills [--month YYYY-MM] [-o FILE] [--format csv|zip]}: every namespace's bill
   * of a month, as one CSV sheet or a zip with every PDF too.
   */
  public static Path runAll(ChargebackConfig c, Map<String, String> flags) throws IOException {
    String out = flags.getOrDefault("o", flags.get("output"));
    String format =
        flags.getOrDefault("format", out != null && out.endsWith(".zip") ? "zip" : "csv");
    if (!Set.of("csv", "zip").contains(format)) {
      throw new ConfigException("--format must be csv or zip");
    }
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openSecondary(Path.of(c.data())),
            new BillingCalendar(c.billing().zone()))) {
      Biller biller = Roles.biller(store, c);
      YearMonth month = month(flags, biller);
      List<Bill> bills = biller.bills(month, biller.namespaces());
      Path target = Path.of(out != null ? out : "bills-" + month + "." + format);
      try (OutputStream file = Files.newOutputStream(target)) {
        if (format.equals("csv")) {
          file.write(BillCsv.render(bills));
        } else {
          BillArchive.write(bills, Roles.pdf(c), store.calendar(), month.toString(), file);
        }
      }
      return target;
    }
  }

  private static YearMonth month(Map<String, String> flags, Biller biller) {
    try {
      return flags.containsKey("month")
          ? YearMonth.parse(flags.get("month"))
          : biller.currentMonth();
    } catch (DateTimeParseException e) {
      throw new ConfigException("--month must be YYYY-MM");
    }
  }

  /**
   * {@code chargeback export focus [--month YYYY-MM] [--ns NS] [-o FILE]}: the FOCUS dataset of a
   * month, all namespaces or one.
   */
  public static Path focus(ChargebackConfig c, Map<String, String> flags) throws IOException {
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openSecondary(Path.of(c.data())),
            new BillingCalendar(c.billing().zone()))) {
      Biller biller = Roles.biller(store, c);
      YearMonth month = month(flags, biller);
      List<Bill> bills =
          biller.bills(
              month, flags.containsKey("ns") ? List.of(flags.get("ns")) : biller.namespaces());
      String out = flags.getOrDefault("o", flags.get("output"));
      Path target = Path.of(out != null ? out : "focus-" + month + ".csv");
      Files.write(target, FocusCsv.render(bills, store.calendar(), Roles.pdf(c).issuer()));
      return target;
    }
  }
}
