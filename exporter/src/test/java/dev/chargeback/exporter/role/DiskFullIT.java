package dev.chargeback.exporter.role;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.harness.ChargebackProcess;
import dev.chargeback.exporter.harness.SimKubelets;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data volume fills up under a running meter and exporter (a real tmpfs of 16 MiB, as a small
 * PVC would): the meter stops writing cleanly, the exporter keeps serving bills and metrics, both
 * report the condition on /readyz (still 200) and in metrics, and once space returns metering
 * resumes by itself. A twin meters the same kubelets on a roomy disk: the two end with the same
 * totals, equal to the simulator's exact usage, so the outage lost nothing and counted nothing
 * twice. Mounting needs root, as CI runs.
 */
@EnabledOnOs(OS.LINUX)
class DiskFullIT {
  @TempDir Path dir;
  private Path volume;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void mountSmallVolume() throws Exception {
    volume = dir.resolve("volume");
    Files.createDirectories(volume);
    Process mount =
        new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", volume.toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(mount.getInputStream().readAllBytes());
    Assumptions.assumeTrue(
        mount.waitFor() == 0, "cannot mount a tmpfs (needs root, as in CI): " + out);
  }

  @AfterEach
  void unmount() throws Exception {
    new ProcessBuilder("umount", "-l", volume.toString()).inheritIO().start().waitFor();
  }

  @Test
  void aFullVolumePausesWritesWhileBillsAreServedAndMeteringResumesWithoutLoss() throws Exception {
    Path data = volume.resolve("data");
    Path log = dir.resolve("meter.log");
    Path exporterLog = dir.resolve("exporter.log");
    int meterPort = ChargebackProcess.freePort();
    int exporterPort = ChargebackProcess.freePort();
    try (SimKubelets kubelets = new SimKubelets("full", "twin")) {
      Process twin = startMeter(log, dir.resolve("twin"), 0, kubelets, "twin");
      Process meter = startMeter(log, data, meterPort, kubelets, "full");
      Process exporter =
          ChargebackProcess.start(
              exporterLog,
              "exporter",
              "--data",
              data.toString(),
              "--listen",
              "127.0.0.1:" + exporterPort);
      String meterUrl = "http://127.0.0.1:" + meterPort;
      String exporterUrl = "http://127.0.0.1:" + exporterPort;
      try {
        kubelets.awaitScrapes("twin", 6);
        kubelets.awaitScrapes("full", 6);
        kubelets.clock.release();
        ChargebackProcess.awaitLog(exporter, exporterLog, "exporter serving HTTP on port");
        Thread.sleep(2000);
        assertThat(get(exporterUrl + "/readyz").body()).isEqualTo("ready\n");

        Path filler = fill(volume);
        ChargebackProcess.awaitLog(meter, log, "writes to the store fail:");
        long outageStart = System.currentTimeMillis();
        // The outage: bills and metrics are served, the condition is reported, not hidden.
        HttpResponse<String> meterReady = get(meterUrl + "/readyz");
        assertThat(meterReady.statusCode()).isEqualTo(200);
        assertThat(meterReady.body())
            .startsWith("ready\nwrites to the store fail since ")
            .contains("No space left on device")
            .contains("the data volume at " + data + " is full");
        HttpResponse<String> exporterReady = get(exporterUrl + "/readyz");
        assertThat(exporterReady.statusCode()).isEqualTo(200);
        assertThat(exporterReady.body())
            .isEqualTo(
                "ready\nthe data volume at " + data + " is full: 0.0 MiB free of 16.0 MiB\n");
        assertThat(get(exporterUrl + "/metrics").body())
            .contains("chargeback_store_volume_free_bytes 0.0")
            .contains("chargeback_store_volume_capacity_bytes 1.6777216E7");
        HttpResponse<String> bill = get(exporterUrl + "/bill?ns=default&format=json");
        assertThat(bill.statusCode()).isEqualTo(200);
        assertThat(bill.body()).contains("\"namespace\" : \"default\"");
        HttpResponse<byte[]> pdf =
            http.send(
                HttpRequest.newBuilder(URI.create(exporterUrl + "/bill?ns=team-a")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(pdf.statusCode()).isEqualTo(200);
        assertThat(new String(pdf.body(), 0, 5)).isEqualTo("%PDF-");
        int scrapesBefore = kubelets.scrapes("full");
        Thread.sleep(Math.max(0, outageStart + 5000 - System.currentTimeMillis()));
        assertThat(kubelets.scrapes("full"))
            .as("the meter keeps scraping (and failing to write) through the outage")
            .isGreaterThan(scrapesBefore + 6);

        Files.delete(filler);
        ChargebackProcess.awaitLog(meter, log, "writes to the store resumed");
        long outage = System.currentTimeMillis() - outageStart;
        int resumed = kubelets.scrapes("full");
        kubelets.awaitScrapes("full", resumed + 6);
        Thread.sleep(1500);
        assertThat(get(meterUrl + "/readyz").body()).isEqualTo("ready\n");
        assertThat(get(exporterUrl + "/readyz").body()).isEqualTo("ready\n");
        String metrics = get(exporterUrl + "/metrics").body();
        double writeErrors = value(metrics, "chargeback_meter_write_errors_total ");
        System.out.printf(
            "disk full for %d ms: %.0f failed writes, recorded after recovery%n",
            outage, writeErrors);
        assertThat(writeErrors).isGreaterThanOrEqualTo(5);
        assertThat(value(metrics, "chargeback_meter_up ")).isEqualTo(1.0);

        long end = kubelets.clock.freeze();
        int f = kubelets.scrapes("full");
        int t = kubelets.scrapes("twin");
        kubelets.awaitScrapes("full", f + 6);
        kubelets.awaitScrapes("twin", t + 6);
        Thread.sleep(500);
        CrashRecoveryIT.stop(exporter);
        CrashRecoveryIT.stop(meter);
        CrashRecoveryIT.stop(twin);
        kubelets.assertSameAndExact(data, dir.resolve("twin"), end);
        String meterLog = Files.readString(log);
        assertThat(meterLog).doesNotContain("Exception");
        assertThat(count(meterLog, "writes to the store fail:"))
            .as("the outage is logged once, not once per scrape")
            .isEqualTo(1);
        assertThat(Files.readString(exporterLog))
            .doesNotContain("Exception")
            .doesNotContain("ERROR");
      } finally {
        exporter.destroyForcibly();
        meter.destroyForcibly();
        twin.destroyForcibly();
        exporter.waitFor(10, TimeUnit.SECONDS);
        meter.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void standaloneCountsFailedWritesLiveAndResumes() throws Exception {
    Path data = volume.resolve("data");
    Path log = dir.resolve("standalone.log");
    int port = ChargebackProcess.freePort();
    String url = "http://127.0.0.1:" + port;
    try (SimKubelets kubelets = new SimKubelets("full")) {
      List<String> args =
          new ArrayList<>(
              List.of(
                  "standalone",
                  "--data",
                  data.toString(),
                  "--listen",
                  "127.0.0.1:" + port,
                  "--kubernetes.discovery",
                  "off",
                  "--scrape-interval",
                  "1s"));
      args.addAll(kubelets.targets("full"));
      Process standalone = ChargebackProcess.start(log, args.toArray(String[]::new));
      try {
        kubelets.awaitScrapes("full", 6);
        kubelets.clock.release();
        // Metered before the volume fills: a bill exists (released time had to pass first).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (get(url + "/bill?ns=default&format=json").statusCode() != 200) {
          assertThat(System.nanoTime()).as("default metered").isLessThan(deadline);
          Thread.sleep(200);
        }
        Path filler = fill(volume);
        ChargebackProcess.awaitLog(standalone, log, "writes to the store fail:");
        Thread.sleep(3000);
        // One process: the failing writes are counted as they happen, before any is stored.
        assertThat(value(get(url + "/metrics").body(), "chargeback_meter_write_errors_total "))
            .isGreaterThanOrEqualTo(3);
        HttpResponse<String> ready = get(url + "/readyz");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body())
            .startsWith("ready\nwrites to the store fail since ")
            .contains("the data volume at " + data + " is full");
        assertThat(get(url + "/bill?ns=default&format=json").statusCode()).isEqualTo(200);

        Files.delete(filler);
        ChargebackProcess.awaitLog(standalone, log, "writes to the store resumed");
        int resumed = kubelets.scrapes("full");
        kubelets.awaitScrapes("full", resumed + 3);
        Thread.sleep(1500);
        assertThat(get(url + "/readyz").body()).isEqualTo("ready\n");
        assertThat(value(get(url + "/metrics").body(), "chargeback_meter_write_errors_total "))
            .isGreaterThanOrEqualTo(3);
        assertThat(Files.readString(log)).doesNotContain("Exception");
      } finally {
        standalone.destroyForcibly();
        standalone.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** Fills {@code dir}'s file system to the last byte; returns the file that holds it. */
  private static Path fill(Path dir) throws IOException {
    Path filler = dir.resolve("filler");
    try (FileChannel ch =
        FileChannel.open(filler, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer block = ByteBuffer.allocate(64 * 1024);
      while (true) {
        try {
          block.clear();
          ch.write(block);
        } catch (IOException full) {
          break;
        }
      }
      // The last block may have been written in part; top up byte by byte.
      ByteBuffer one = ByteBuffer.allocate(1);
      try {
        while (true) {
          one.clear();
          ch.write(one);
        }
      } catch (IOException full) {
        // full to the byte
      }
    }
    assertThat(Files.getFileStore(dir).getUsableSpace()).isZero();
    return filler;
  }

  private static Process startMeter(
      Path log, Path data, int port, SimKubelets kubelets, String path) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "meter",
                "--data",
                data.toString(),
                "--listen",
                "127.0.0.1:" + port,
                "--scrape-interval",
                "1s",
                "--max-gap",
                "60s"));
    args.addAll(kubelets.targets(path));
    return ChargebackProcess.start(log, args.toArray(String[]::new));
  }

  private HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static double value(String exposition, String prefix) {
    return exposition
        .lines()
        .filter(l -> l.startsWith(prefix))
        .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()).trim()))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + prefix + "in /metrics"));
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
