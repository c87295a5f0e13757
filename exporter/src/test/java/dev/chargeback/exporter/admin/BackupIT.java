package dev.chargeback.exporter.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.sim.SimReplay;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backup (a checkpoint by the store's writer) and restore, offline and through a running meter. */
class BackupIT {
  @TempDir Path dir;

  private ChargebackProcess.Run chargeback(String... args) throws Exception {
    return ChargebackProcess.run(dir, args);
  }

  /** A store with four simulated days in it. */
  private Map<String, Double> meter(Path data) {
    BillingCalendar utc = new BillingCalendar(ZoneOffset.UTC);
    try (RollupStore store = new RollupStore(RocksKeyValueStore.openPrimary(data, false), utc)) {
      long now = System.currentTimeMillis();
      SimReplay.history(
          new SimCluster(),
          store,
          new CostAccrual(PriceBookLoader.defaults(), utc),
          now - 4 * 86_400_000L,
          now,
          900_000);
      return totals(store);
    }
  }

  private static Map<String, Double> totals(RollupStore store) {
    Map<String, Double> out = new TreeMap<>();
    store
        .totals(Scope.NAMESPACE)
        .forEach((k, v) -> out.put(k.owner() + " " + k.resource(), v.sum()));
    return out;
  }

  private static Map<String, Double> totalsOf(Path data) {
    try (RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(data, false), new BillingCalendar(ZoneOffset.UTC))) {
      return totals(store);
    }
  }

  @Test
  void aStoppedMetersStoreIsBackedUpAndRestored() throws Exception {
    Path data = dir.resolve("data");
    Map<String, Double> before = meter(data);
    assertThat(before).isNotEmpty();

    Path backup = dir.resolve("backup");
    ChargebackProcess.Run b =
        chargeback("backup", "--to", backup.toString(), "--data", data.toString());
    assertThat(b.exit()).as(b.output()).isZero();
    assertThat(b.output()).startsWith("backed up to " + backup);

    ChargebackProcess.Run again =
        chargeback("backup", "--to", backup.toString(), "--data", data.toString());
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.output().strip())
        .isEqualTo("chargeback: flag --to: " + backup + " already exists; name a new directory");

    Path restored = dir.resolve("restored");
    ChargebackProcess.Run r =
        chargeback("restore", "--from", backup.toString(), "--data", restored.toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(totalsOf(restored)).isEqualTo(before);

    ChargebackProcess.Run notEmpty =
        chargeback("restore", "--from", backup.toString(), "--data", data.toString());
    assertThat(notEmpty.exit()).isEqualTo(1);
    assertThat(notEmpty.output()).contains("is not empty; restore into a new directory");
    ChargebackProcess.Run notABackup =
        chargeback("restore", "--from", dir.toString(), "--data", dir.resolve("x").toString());
    assertThat(notABackup.output()).contains("a directory made by chargeback backup");
  }

  @Test
  void aRunningMeterTakesTheBackupItself() throws Exception {
    Path data = dir.resolve("live");
    Map<String, Double> before = meter(data);
    Path log = dir.resolve("meter.log");
    Process meter =
        ChargebackProcess.start(
            log,
            "meter",
            "--data",
            data.toString(),
            "--listen",
            "127.0.0.1:0",
            "--kubernetes.discovery",
            "off");
    Path backup = dir.resolve("online");
    try {
      ChargebackProcess.awaitLog(meter, log, "metering 0 target(s)");
      String admin = ChargebackProcess.adminUrl(meter, log);
      Thread.sleep(500);
      ChargebackProcess.Run b =
          chargeback(
              "backup", "--to", backup.toString(), "--data", data.toString(), "--meter-url", admin);
      assertThat(b.exit()).as(b.output()).isZero();
      assertThat(b.output())
          .contains("the meter is running: asking it to do this (" + admin + "/admin/backup)")
          .contains("backed up to " + backup);
    } finally {
      meter.destroy();
      meter.waitFor(20, TimeUnit.SECONDS);
    }
    Path restored = dir.resolve("restored");
    assertThat(
            chargeback("restore", "--from", backup.toString(), "--data", restored.toString())
                .exit())
        .isZero();
    assertThat(totalsOf(restored)).isEqualTo(before);
  }
}
