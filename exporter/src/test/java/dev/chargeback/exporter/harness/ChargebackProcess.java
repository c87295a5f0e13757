package dev.chargeback.exporter.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs the real {@code chargeback.jar} as a separate process, on the test's own JDK. */
public final class ChargebackProcess {
  private ChargebackProcess() {}

  public static Path jar() {
    String jar = System.getProperty("chargeback.jar");
    if (jar == null || !Files.exists(Path.of(jar))) {
      throw new IllegalStateException(
          "chargeback.jar not built (run the ITs through Maven's verify): " + jar);
    }
    return Path.of(jar);
  }

  /** A port free at the moment, for a process's {@code --listen}. */
  public static int freePort() throws IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  public static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  /** Starts {@code chargeback args…}, output appended to {@code log}. */
  public static Process start(Path log, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(java());
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-Xmx256m");
    // A JVM crash leaves its log beside the process's own, where tests look for it.
    Path beside = log.toAbsolutePath().getParent();
    command.add("-XX:ErrorFile=" + beside.resolve("hs_err_pid%p.log"));
    // RocksDB unpacks its native library (40 MB) into the temporary directory and deletes it on
    // a normal exit only: a process a test kills leaves it there. Kept beside the log, it goes
    // with the test's own directory (the suite's kills left 6 GB in /tmp otherwise).
    command.add("-Djava.io.tmpdir=" + Files.createDirectories(beside.resolve("jvm-tmp")));
    command.add("-jar");
    command.add(jar().toString());
    command.addAll(List.of(args));
    List<String> given = List.of(args);
    if (!given.isEmpty()
        && List.of("meter", "standalone").contains(given.get(0))
        && given.stream().noneMatch(a -> a.startsWith("--admin.listen"))) {
      // The admin port defaults to the one after --listen's, which a test's free port does not
      // make free: a free one of its own (never a fixed port).
      command.addAll(List.of("--admin.listen", "127.0.0.1:0"));
    }
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
  }

  /** How a short-lived command ended. */
  public record Run(int exit, String output) {}

  /** Runs {@code chargeback args…} to its end (at most two minutes), its log in {@code dir}. */
  public static Run run(Path dir, String... args) throws IOException, InterruptedException {
    Path log = dir.resolve("run-" + System.nanoTime() + ".log");
    Process p = start(log, args);
    if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("still running after 2 minutes: " + Files.readString(log));
    }
    return new Run(p.exitValue(), Files.readString(log));
  }

  /**
   * The admin URL a started meter (or standalone) logged, e.g. {@code http://127.0.0.1:40123}
   * (waits for the line, at most a minute).
   */
  public static String adminUrl(Process p, Path log) throws IOException, InterruptedException {
    String marker = "admin endpoints (import, backup) on ";
    awaitLog(p, log, marker);
    String line =
        Files.readAllLines(log).stream().filter(l -> l.contains(marker)).findFirst().orElseThrow();
    return line.substring(line.indexOf(marker) + marker.length()).strip();
  }

  /** A running demo: its process, log and base URL. */
  public record Demo(Process process, Path log, String base) implements AutoCloseable {
    @Override
    public void close() {
      process.destroy();
      try {
        if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
          process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Starts {@code chargeback demo} on a port of its own choosing (port 0; the log says which) with
   * its data in {@code dir}, and waits (at most two minutes) until /readyz answers 200.
   */
  public static Demo demo(Path dir) throws IOException, InterruptedException {
    Path log = dir.resolve("demo.log");
    Process p =
        start(log, "demo", "--data", dir.resolve("data").toString(), "--listen", "127.0.0.1:0");
    String marker = "demo: serving on port ";
    awaitLog(p, log, marker, 120_000);
    String line =
        Files.readAllLines(log).stream().filter(l -> l.contains(marker)).findFirst().orElseThrow();
    String base =
        "http://127.0.0.1:"
            + line.substring(line.indexOf(marker) + marker.length()).split("[^0-9]")[0];
    java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
    long deadline = System.currentTimeMillis() + 120_000;
    while (true) {
      if (!p.isAlive()) {
        throw new IllegalStateException("the demo exited: " + Files.readString(log));
      }
      try {
        if (http.send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/readyz"))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.discarding())
                .statusCode()
            == 200) {
          return new Demo(p, log, base);
        }
      } catch (IOException e) {
        // not answering yet
      }
      if (System.currentTimeMillis() > deadline) {
        p.destroyForcibly();
        throw new IllegalStateException(
            "the demo was not ready in 2 minutes: " + Files.readString(log));
      }
      Thread.sleep(250);
    }
  }

  /** Waits (at most a minute) until {@code log} shows {@code text}; fails if {@code p} exits. */
  public static void awaitLog(Process p, Path log, String text)
      throws IOException, InterruptedException {
    awaitLog(p, log, text, 60_000);
  }

  /**
   * Waits (at most {@code millis}) until {@code log} shows {@code text}; fails if {@code p} exits.
   */
  public static void awaitLog(Process p, Path log, String text, long millis)
      throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!Files.readString(log).contains(text)) {
      if (!p.isAlive() || System.currentTimeMillis() > deadline) {
        throw new IllegalStateException("no '" + text + "' in: " + Files.readString(log));
      }
      Thread.sleep(200);
    }
  }
}
