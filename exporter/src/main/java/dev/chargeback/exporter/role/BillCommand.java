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
 * The bill commands, for scripts and cron: {@code bill} (one bill to a file), {@code bills} (every
 * namespace's) and {@code export focus}. They read the store as a secondary, so a running meter is
 * no obstacle.
 */
public final class BillCommand {
  /** The flags this command reads besides the configuration's. */
  public static final Set<String> FLAGS = Set.of("ns", "month", "o", "output", "format");

  /** The flags of {@code export focus}. */
  public static final Set<String> FOCUS_FLAGS = Set.of("ns", "month", "o", "output");

  /** The flags of {@code bills}. */
  public static final Set<String> ALL_FLAGS = Set.of("month", "o", "output", "format");

  private BillCommand() {}

  /** What a command writes from a month's bills; returns the path written. */
  @FunctionalInterface
  private interface Export {
    Path write(Biller biller, YearMonth month, BillingCalendar calendar) throws IOException;
  }

  /** Opens the store as a secondary, resolves {@code --month}, then runs {@code export}. */
  private static Path export(ChargebackConfig c, Map<String, String> flags, Export export)
      throws IOException {
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openSecondary(Path.of(c.data())),
            new BillingCalendar(c.billing().zone()))) {
      Biller biller = Roles.biller(store, c);
      YearMonth month;
      try {
        month =
            flags.containsKey("month")
                ? YearMonth.parse(flags.get("month"))
                : biller.currentMonth();
      } catch (DateTimeParseException e) {
        throw new ConfigException("--month must be YYYY-MM");
      }
      return export.write(biller, month, store.calendar());
    }
  }

  /** {@code -o FILE} (or {@code --output}), else {@code fallback} in the working directory. */
  private static Path target(Map<String, String> flags, String fallback) {
    String out = flags.getOrDefault("o", flags.get("output"));
    return Path.of(out != null ? out : fallback);
  }

  /**
   * {@code chargeback bill --ns NS [--month YYYY-MM] [-o FILE] [--format pdf|json|csv]}: one bill.
   */
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
    return export(
        c,
        flags,
        (biller, month, calendar) -> {
          Bill bill = biller.bill(ns, month);
          byte[] bytes =
              switch (format) {
                case "json" -> BillJson.render(bill);
                case "csv" -> BillCsv.render(bill);
                default -> Roles.pdf(c).render(bill);
              };
          Path target = target(flags, "bill-" + ns + "-" + month + "." + format);
          Files.write(target, bytes);
          return target;
        });
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
    return export(
        c,
        flags,
        (biller, month, calendar) -> {
          List<Bill> bills = biller.bills(month, biller.namespaces());
          Path target = target(flags, "bills-" + month + "." + format);
          try (OutputStream file = Files.newOutputStream(target)) {
            if (format.equals("csv")) {
              file.write(BillCsv.render(bills));
            } else {
              BillArchive.write(bills, Roles.pdf(c), calendar, month.toString(), file);
            }
          }
          return target;
        });
  }

  /**
   * {@code chargeback export focus [--month YYYY-MM] [--ns NS] [-o FILE]}: the FOCUS dataset of a
   * month, all namespaces or one.
   */
  public static Path focus(ChargebackConfig c, Map<String, String> flags) throws IOException {
    return export(
        c,
        flags,
        (biller, month, calendar) -> {
          List<Bill> bills =
              biller.bills(
                  month, flags.containsKey("ns") ? List.of(flags.get("ns")) : biller.namespaces());
          Path target = target(flags, "focus-" + month + ".csv");
          Files.write(target, FocusCsv.render(bills, calendar, Roles.pdf(c).issuer()));
          return target;
        });
  }
}
