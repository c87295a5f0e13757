package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Closing the store while other threads read and write it: in a JVM of its own, since the failure
 * this guards against is a native crash (SIGSEGV in RocksDB on freed column-family handles).
 */
class CloseWhileReadingIT {
  @TempDir Path dir;

  @Test
  void closingWhileThreadsReadAndWriteNeverCrashesTheJvm() throws Exception {
    for (int run = 0; run < 8; run++) {
      Path data = dir.resolve("data-" + run);
      Path log = dir.resolve("run-" + run + ".log");
      Process p =
          new ProcessBuilder(
                  ProcessHandle.current().info().command().orElse("java"),
                  "--enable-native-access=ALL-UNNAMED",
                  "-XX:ErrorFile=" + dir.resolve("hs_err_pid%p.log"),
                  "-cp",
                  System.getProperty("java.class.path"),
                  CloseWhileReading.class.getName(),
                  data.toString(),
                  String.valueOf(20 + run * 15))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("run %d ends", run).isTrue();
      assertThat(p.exitValue()).as("run %d: %s", run, Files.readString(log)).isZero();
      assertThat(Files.readString(log)).contains("refused after close 4");
    }
    try (Stream<Path> files = Files.list(dir)) {
      List<Path> crashes =
          files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
      assertThat(crashes).as("JVM crash logs").isEmpty();
    }
  }
}
