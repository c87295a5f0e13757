package dev.chargeback.exporter.role;

import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillCsv;
import dev.chargeback.meter.bill.BillJson;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Set;

/**
 * {@code chargeback bill --ns NS --month YYYY-MM -o FILE [--format pdf|json|csv]}: one bill to a
 * file, for scripts and cron. Reads the store as a secondary, so a running meter is no obstacle.
 */
public final class BillCommand {
  /** The flags this command reads besides the configuration's. */
  public static final Set<String> FLAGS = Set.of("ns", "month", "o", "output", "format");

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
      YearMonth month;
      try {
        month =
            flags.containsKey("month")
                ? YearMonth.parse(flags.get("month"))
                : biller.currentMonth();
      } catch (DateTimeParseException e) {
        throw new ConfigException("--month must be YYYY-MM");
      }
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
}
