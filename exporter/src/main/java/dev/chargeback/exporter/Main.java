package dev.chargeback.exporter;

import dev.chargeback.exporter.role.BackupCommand;
import dev.chargeback.exporter.role.BillCommand;
import dev.chargeback.exporter.role.ImportCommand;
import dev.chargeback.exporter.role.RepriceCommand;
import dev.chargeback.exporter.role.Roles;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigLoader;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
import org.slf4j.LoggerFactory;

/**
 * {@code chargeback <role> [flags]}: looks the role up in a table, loads the configuration (checked
 * whole before anything binds a port or opens the store) and runs it. Broken configuration or an
 * unusable store exits with status 1 and a one-line reason.
 */
public final class Main {
  private static final String USAGE =
      """
      usage: chargeback <role> [--config FILE] [--data DIR] [--listen HOST:PORT] [flags]

      roles:
        demo        standalone on a built-in simulated cluster (a month of history, then live)
        standalone  meter and exporter in one process: --target cadvisor=URL
                    [--target node-exporter=URL] [--target kube-state-metrics=URL]
                    [--target dcgm=URL] [--scrape-interval 30s]
        meter       the only writer: scrapes targets into the store (health on :9467, admin on
                    127.0.0.1:9468)
        exporter    read-only: serves /metrics, /bill and /api/v1 from the meter's store (:9466)
        bill        one bill to a file: --ns NS [--month YYYY-MM] [-o FILE] [--format pdf|json|csv]
        bills       every namespace's bill: [--month YYYY-MM] [-o FILE] [--format csv|zip]
        export      export focus [--month YYYY-MM] [--ns NS] [-o FILE]: a FOCUS 1.2 CSV
        reprice     change prices already in force (--prices FILE), on a stopped meter's data
                    [--correct-closed true: bill the change to closed months as corrections]
        import      history from an OpenMetrics file or a Prometheus-compatible API (import --help)
        backup      a consistent copy of the store: --to DIR (through the running meter, if any)
        restore     a backup as the data directory of a stopped meter: --from DIR --data DIR

      Every key of the configuration file is also a flag (--scrape-interval, --max-gap,
      --billing.time-zone, ...) and an environment variable (CHARGEBACK_SCRAPE_INTERVAL, ...).
      """;

  /** A command that runs to its end: its exit status. */
  @FunctionalInterface
  private interface Command {
    int run(ChargebackConfig config, Map<String, String> flags, PrintStream out) throws Exception;
  }

  /** A role's own flags (besides the configuration's) and what it does. */
  private record Once(Set<String> flags, Command command) {}

  private static final Map<String, Once> COMMANDS = new LinkedHashMap<>();

  private static final Map<String, Function<ChargebackConfig, Roles.Running>> SERVERS =
      new LinkedHashMap<>();

  static {
    COMMANDS.put(
        "bill",
        new Once(BillCommand.FLAGS, (c, f, out) -> print(out, BillCommand.run(c, f).toString())));
    COMMANDS.put(
        "bills",
        new Once(
            BillCommand.ALL_FLAGS, (c, f, out) -> print(out, BillCommand.runAll(c, f).toString())));
    COMMANDS.put(
        "export",
        new Once(
            BillCommand.FOCUS_FLAGS,
            (c, f, out) -> print(out, BillCommand.focus(c, f).toString())));
    COMMANDS.put(
        "reprice",
        new Once(
            RepriceCommand.FLAGS,
            (c, f, out) -> {
              RepriceCommand.run(c, f, out);
              return 0;
            }));
    COMMANDS.put("import", new Once(ImportCommand.FLAGS, ImportCommand::run));
    COMMANDS.put("backup", new Once(BackupCommand.FLAGS, BackupCommand::backup));
    COMMANDS.put("restore", new Once(BackupCommand.FLAGS, BackupCommand::restore));
    SERVERS.put("demo", Roles::demo);
    SERVERS.put("standalone", Roles::standalone);
    SERVERS.put("meter", Roles::meter);
    SERVERS.put("exporter", Roles::exporter);
  }

  private Main() {}

  private static int print(PrintStream out, String line) {
    out.println(line);
    return 0;
  }

  public static void main(String[] args) {
    if (args.length == 0 || Set.of("help", "-h", "--help").contains(args[0])) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    String role = args[0];
    List<String> flags = Arrays.asList(args).subList(1, args.length);
    if (role.equals("export")) {
      // The one export format so far: chargeback export focus [flags].
      if (flags.isEmpty() || !flags.getFirst().equals("focus")) {
        fail("export needs a format: chargeback export focus [--month YYYY-MM] [-o FILE]");
        return;
      }
      flags = flags.subList(1, flags.size());
    }
    if (role.equals("import") && (flags.contains("--help") || flags.contains("-h"))) {
      System.out.print(ImportCommand.HELP);
      return;
    }
    Roles.Running running;
    try {
      Once once = COMMANDS.get(role);
      if (once != null) {
        ConfigLoader.Loaded loaded = ConfigLoader.load(flags, once.flags(), System.getenv());
        int status = once.command().run(loaded.config(), loaded.roleFlags(), System.out);
        System.out.flush();
        if (status != 0) {
          System.exit(status);
        }
        return;
      }
      Function<ChargebackConfig, Roles.Running> server = SERVERS.get(role);
      if (server == null) {
        fail("unknown role '" + role + "' (see chargeback help)");
        return;
      }
      running = server.apply(ConfigLoader.load(flags, Set.of(), System.getenv()).config());
    } catch (Exception e) {
      // ConfigException, StoreException, PriceBookException, BillException: the reason is the
      // message; anything else is reported the same way, without a stack trace.
      fail(e.getMessage());
      return;
    }
    LoggerFactory.getLogger(Main.class).info("{} serving HTTP on port {}", role, running.port());
    awaitShutdown(running);
  }

  private static void fail(String reason) {
    System.err.println("chargeback: " + reason);
    System.exit(1);
  }

  /** How long an orderly stop may take before the process exits anyway. */
  private static final long STOP_WAIT_MILLIS = 30_000;

  /**
   * Serves until the JVM is asked to stop (SIGTERM, Ctrl-C), then stops the role in order. The stop
   * is bounded: past {@link #STOP_WAIT_MILLIS} the process exits without closing the store, which
   * then recovers from its log as after a crash (every scrape is one atomic batch), rather than
   * outliving Kubernetes' grace period.
   */
  private static void awaitShutdown(Roles.Running running) {
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  Thread closer =
                      Thread.ofPlatform()
                          .name("stop")
                          .daemon()
                          .start(
                              () -> {
                                try {
                                  running.close();
                                } catch (RuntimeException e) {
                                  System.err.println(
                                      "chargeback: error while stopping: " + e.getMessage());
                                }
                              });
                  try {
                    closer.join(STOP_WAIT_MILLIS);
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  if (closer.isAlive()) {
                    System.err.println(
                        "chargeback: still stopping after "
                            + STOP_WAIT_MILLIS / 1000
                            + " s; exiting (the store recovers from its log, as after a crash)");
                  }
                  stopped.countDown();
                }));
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
