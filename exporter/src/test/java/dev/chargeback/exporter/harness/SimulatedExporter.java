package dev.chargeback.exporter.harness;

import dev.chargeback.exporter.role.Roles;
import dev.chargeback.meter.config.ConfigLoader;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.sim.SimReplay;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/** The exporter (in this JVM, port 0) over two days of the simulated cluster, metered. */
public final class SimulatedExporter {
  private SimulatedExporter() {}

  /**
   * The simulated cluster's last two days, scraped every {@code step}, at the demo's prices (its
   * spot and GPU node classes), its nodes' labels recorded as discovery would.
   */
  public static void meterTwoDays(RollupStore store, Duration step) {
    long now = System.currentTimeMillis();
    SimCluster sim = new SimCluster();
    sim.nodeLabels()
        .forEach(
            (node, labels) -> store.nodeLabels().record(node, labels, now / 1000 - 3 * 86_400));
    SimReplay.history(
        sim,
        store,
        new CostAccrual(
            PriceBookLoader.parse(SimCluster.priceBook(), "demo prices"),
            store.calendar(),
            store.nodeLabels()::at),
        now - 2 * 86_400_000L,
        now,
        step.toMillis());
  }

  /**
   * Meters two simulated days into {@code dir/data} at the demo's prices, then serves them with the
   * price book {@code prices} makes of the demo's (e.g. adding budgets).
   */
  public static Roles.Running start(Path dir, UnaryOperator<String> prices) throws Exception {
    Path data = dir.resolve("data");
    BillingCalendar utc = new BillingCalendar(ZoneId.of("UTC"));
    try (RollupStore store = new RollupStore(RocksKeyValueStore.openPrimary(data, false), utc)) {
      meterTwoDays(store, Duration.ofMinutes(10));
    }
    Path book = dir.resolve("prices.yaml");
    Files.writeString(book, prices.apply(SimCluster.priceBook()));
    return serve(data, book);
  }

  /**
   * The exporter role (in this JVM, port 0) over the store at {@code data}; null prices: the
   * default book.
   */
  public static Roles.Running serve(Path data, Path prices) {
    List<String> flags =
        new ArrayList<>(List.of("--data", data.toString(), "--listen", "127.0.0.1:0"));
    if (prices != null) {
      flags.addAll(List.of("--prices", prices.toString()));
    }
    return Roles.exporter(ConfigLoader.load(flags, Set.of(), Map.of()).config());
  }
}
