package dev.chargeback.exporter.role;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.harness.ChargebackProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line as a user meets it: exit codes, one-line reasons, reprice, bill to a file. */
class CommandsIT {
  @TempDir Path dir;

  private record Result(int exit, String output) {}

  private Result run(long seconds, String... args) throws Exception {
    Path log = dir.resolve("run-" + System.nanoTime() + ".log");
    Process p = ChargebackProcess.start(log, args);
    boolean exited = p.waitFor(seconds, TimeUnit.SECONDS);
    if (!exited) {
      p.destroy();
      p.waitFor(20, TimeUnit.SECONDS);
    }
    return new Result(exited ? p.exitValue() : -1, Files.readString(log));
  }

  /** Runs a long-lived role until its log shows {@code ready}, then stops it. */
  private void runUntil(String ready, String... args) throws Exception {
    Path log = dir.resolve("run-" + System.nanoTime() + ".log");
    Process p = ChargebackProcess.start(log, args);
    long deadline = System.currentTimeMillis() + 120_000;
    while (!Files.readString(log).contains(ready)) {
      assertThat(p.isAlive()).as("still running: " + Files.readString(log)).isTrue();
      assertThat(System.currentTimeMillis()).as("waiting for " + ready).isLessThan(deadline);
      Thread.sleep(200);
    }
    p.destroy();
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
  }

  private String prices(String name, String cpu) throws Exception {
    Path file = dir.resolve(name);
    Files.writeString(
        file,
        "currency: KRW\nversions:\n  - effectiveFrom: \"2026-01-01\"\n"
            + "    prices: {cpuCoreHour: "
            + cpu
            + ", memoryGibHour: 6, networkReceiveGib: 0,"
            + " networkTransmitGib: 150, storageGibHour: 0.2}\n");
    return file.toString();
  }

  @Test
  void brokenConfigurationExitsWithOneLineNamingTheKey() throws Exception {
    Result r =
        run(30, "standalone", "--data", dir.resolve("d").toString(), "--scrape-intervall", "5s");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.output().strip())
        .isEqualTo("chargeback: unknown config key 'scrapeIntervall' (from --scrape-intervall)");
    Result badTarget;
    // Configuration is checked before anything binds: with the port taken, the reason is still
    // the bad target, not the port.
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      badTarget =
          run(
              30,
              "standalone",
              "--data",
              dir.resolve("d").toString(),
              "--listen",
              "127.0.0.1:" + taken.getLocalPort(),
              "--target",
              "kubelet=http://x");
    }
    assertThat(badTarget.exit()).isEqualTo(1);
    assertThat(badTarget.output())
        .contains("config key 'targets'")
        .contains("unknown target role 'kubelet'");
    Result admin =
        run(
            30,
            "meter",
            "--data",
            dir.resolve("d").toString(),
            "--listen",
            "127.0.0.1:0",
            "--admin.listen",
            "0.0.0.0:0");
    assertThat(admin.exit()).isEqualTo(1);
    assertThat(admin.output().strip())
        .startsWith("chargeback: config key 'admin.listen': '0.0.0.0:0' is not a loopback address")
        .doesNotContain("\n");
    Result role = run(30, "meterr");
    assertThat(role.exit()).isEqualTo(1);
    assertThat(role.output()).contains("unknown role 'meterr'");
  }

  @Test
  void pricesInForceAreImmutableUntilRepriced() throws Exception {
    String data = dir.resolve("data").toString();
    String before = prices("p1.yaml", "45");
    String after = prices("p2.yaml", "48");
    assertThat(
            run(6, "standalone", "--data", data, "--listen", "127.0.0.1:0", "--prices", before)
                .exit())
        .as("runs until stopped")
        .isEqualTo(-1);
    Result refused =
        run(30, "standalone", "--data", data, "--listen", "127.0.0.1:0", "--prices", after);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.output())
        .contains("2026-01-01: prices.cpuCoreHour 45 → 48")
        .contains("chargeback reprice");
    Result reprice = run(60, "reprice", "--data", data, "--prices", after);
    assertThat(reprice.exit()).isZero();
    assertThat(reprice.output())
        .contains("2026-01-01: prices.cpuCoreHour 45 → 48")
        .contains("recorded");
    assertThat(
            run(6, "standalone", "--data", data, "--listen", "127.0.0.1:0", "--prices", after)
                .exit())
        .as("accepted after reprice")
        .isEqualTo(-1);
  }

  @Test
  void billWritesOneBillToAFile() throws Exception {
    String data = dir.resolve("demo").toString();
    // The demo replays the simulated cluster from the start of the month before last.
    runUntil("demo: serving on port", "demo", "--data", data, "--listen", "127.0.0.1:0");
    String closed = java.time.YearMonth.now(java.time.ZoneOffset.UTC).minusMonths(2).toString();
    Path finalBill = dir.resolve("final.json");
    assertThat(
            run(
                    60,
                    "bill",
                    "--data",
                    data,
                    "--ns",
                    "team-a",
                    "--month",
                    closed,
                    "-o",
                    finalBill.toString())
                .exit())
        .isZero();
    assertThat(Files.readString(finalBill))
        .contains("\"status\" : \"final\"")
        .containsPattern("\"sha256\" : \"[0-9a-f]{64}\"");
    // A reprice says the closed month keeps its final bills, and leaves them so.
    String newPrices = prices("r.yaml", "99");
    Result reprice = run(60, "reprice", "--data", data, "--prices", newPrices);
    assertThat(reprice.exit()).isZero();
    assertThat(reprice.output())
        .contains("closed months keep their final bills and prices: [" + closed);
    Path again = dir.resolve("final-again.json");
    run(60, "bill", "--data", data, "--ns", "team-a", "--month", closed, "-o", again.toString());
    assertThat(Files.readString(again)).isEqualTo(Files.readString(finalBill));
    // Without --correct-closed the open bill corrects nothing; with it, the new prices are billed
    // as corrections to the closed month (this month's bill looks back three months).
    Path open = dir.resolve("open.json");
    run(60, "bill", "--data", data, "--ns", "team-a", "--prices", newPrices, "-o", open.toString());
    assertThat(Files.readString(open)).contains("\"corrections\" : [ ]");
    String repriced = prices("r2.yaml", "98");
    Result correcting =
        run(60, "reprice", "--data", data, "--prices", repriced, "--correct-closed", "true");
    assertThat(correcting.output()).contains("billed as corrections to [" + closed);
    run(60, "bill", "--data", data, "--ns", "team-a", "--prices", repriced, "-o", open.toString());
    assertThat(Files.readString(open))
        .contains("\"month\" : \"" + closed + "\"")
        .contains("\"item\" : \"cpu\"");
    Path out = dir.resolve("team-a.json");
    Result bill = run(60, "bill", "--data", data, "--ns", "team-a", "-o", out.toString());
    assertThat(bill.exit()).isZero();
    assertThat(Files.readString(out))
        .contains("\"namespace\" : \"team-a\"")
        .contains("\"total\"")
        .contains("\"team\" : \"payments\"");
    Path csv = dir.resolve("team-a.csv");
    assertThat(
            run(
                    60,
                    "bill",
                    "--data",
                    data,
                    "--ns",
                    "team-a",
                    "--format",
                    "csv",
                    "-o",
                    csv.toString())
                .exit())
        .isZero();
    assertThat(Files.readAllLines(csv).get(1)).endsWith(",cost-center=CC-1017; team=payments");
    Result missing =
        run(60, "bill", "--data", data, "--ns", "ghost", "-o", dir.resolve("x.pdf").toString());
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.output().strip())
        .isEqualTo("chargeback: namespace ghost has never been metered");
    // Every namespace at once: a zip with the sheet and one PDF each.
    Path zip = dir.resolve("all.zip");
    assertThat(run(120, "bills", "--data", data, "-o", zip.toString()).exit()).isZero();
    List<String> names = new ArrayList<>();
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        names.add(e.getName());
      }
    }
    assertThat(names).first().asString().startsWith("bills-").endsWith(".csv");
    assertThat(names.get(1)).startsWith("focus-").endsWith(".csv");
    // One PDF per namespace with usage this month (batch's only after its first nightly run).
    List<String> pdfs = names.subList(2, names.size());
    assertThat(pdfs).allMatch(n -> n.startsWith("bill-") && n.endsWith(".pdf"));
    for (String ns : List.of("default", "kube-system", "team-a", "team-b")) {
      assertThat(pdfs).anyMatch(n -> n.startsWith("bill-" + ns + "-2"));
    }
    Path focus = dir.resolve("focus.csv");
    assertThat(run(60, "export", "focus", "--data", data, "-o", focus.toString()).exit()).isZero();
    assertThat(Files.readAllLines(focus).getFirst()).startsWith("BilledCost,BillingAccountId,");
    assertThat(run(60, "export", "parquet", "--data", data).output())
        .contains("export needs a format: chargeback export focus");
    assertThat(names).anyMatch(n -> n.startsWith("bill-team-a-") && n.endsWith(".pdf"));
  }
}
