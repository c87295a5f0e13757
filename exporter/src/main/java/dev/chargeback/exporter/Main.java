package dev.chargeback.exporter;

import dev.chargeback.exporter.bench.Bench;
import dev.chargeback.exporter.role.BackupCommand;
import dev.chargeback.exporter.role.BillCommand;
import dev.chargeback.exporter.role.ImportCommand;
import dev.chargeback.exporter.role.RepriceCommand;
import dev.chargeback.exporter.role.Roles;
import dev.chargeback.meter.bill.BillException;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.config.ConfigLoader;
import dev.chargeback.meter.price.PriceBookException;
import dev.chargeback.meter.store.StoreException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * {@code chargeback <role> [flags]}: parses the configuration and starts a role. Broken
 * configuration or an unusable store exits with status 1 and a one-line reason.
 */
public final class Main {
  private static final String USAGE =
      """
      usage: chargeback <role> [--config FILE] [--data DIR] [--listen HOST:PORT] [flags]

      roles:
        demo        standalone on a built-in simulated cluster (a month of history, then live)
        standalone  meter and exporter in one process: --target cadvisor=URL
                    [--target node-exporter=URL] [--target kube-state-metrics=URL]
                    [--scrape-interval 30s]
        meter       the only writer: scrapes targets into the store (health on :9467)
        exporter    read-only: serves /metrics, /bill and /api/v1 from the meter's store (:9466)
        bill        one bill to a file: --ns NS [--month YYYY-MM] [-o FILE] [--format pdf|json|csv]
        reprice     change prices already in force (--prices FILE), on a stopped meter's data
        import      history from an OpenMetrics file or a Prometheus-compatible API (import --help)
        backup      a consistent copy of the store: --to DIR (through the running meter, if any)
        restore     a backup as the data directory of a stopped meter: --from DIR --data DIR
        bench       print the benchmark table ([--capture FILE] [--figures churn,ingest,...],
                    run from the repository)

      Every key of the configuration file is also a flag (--scrape-interval, --max-gap,
      --billing.time-zone, ...) and an environment variable (CHARGEBACK_SCRAPE_INTERVAL, ...).
      """;

  private Main() {}

  public static void main(String[] args) {
    if (args.length == 0 || Set.of("help", "-h", "--help").contains(args[0])) {
      System.out.print(USAGE);
      System.exit(args.length == 0 ? 2 : 0);
    }
    String role = args[0];
    List<String> flags = Arrays.asList(args).subList(1, args.length);
    Roles.Running running;
    try {
      if (role.equals("bench")) {
        ConfigLoader.Loaded loaded =
            ConfigLoader.load(flags, Set.of("capture", "figures"), System.getenv());
        String figures = loaded.roleFlags().getOrDefault("figures", "");
        Bench.run(
            Path.of(
                loaded
                    .roleFlags()
                    .getOrDefault(
                        "capture",
                        "meter/src/test/resources/fixtures/kubelet-1.35-containerd-cadvisor.prom")),
            figures.isBlank() ? List.of() : List.of(figures.split(",")),
            System.out);
        return;
      }
      if (role.equals("reprice")) {
        RepriceCommand.run(
            ConfigLoader.load(flags, Set.of(), System.getenv()).config(), System.out);
        return;
      }
      if (role.equals("import")) {
        if (flags.contains("--help") || flags.contains("-h")) {
          System.out.print(ImportCommand.HELP);
          return;
        }
        ConfigLoader.Loaded loaded = ConfigLoader.load(flags, ImportCommand.FLAGS, System.getenv());
        int status = ImportCommand.run(loaded.config(), loaded.roleFlags(), System.out);
        System.out.flush();
        if (status != 0) {
          System.exit(status);
        }
        return;
      }
      if (role.equals("backup") || role.equals("restore")) {
        ConfigLoader.Loaded loaded = ConfigLoader.load(flags, BackupCommand.FLAGS, System.getenv());
        int status =
            role.equals("backup")
                ? BackupCommand.backup(loaded.config(), loaded.roleFlags(), System.out)
                : BackupCommand.restore(loaded.config(), loaded.roleFlags(), System.out);
        System.out.flush();
        if (status != 0) {
          System.exit(status);
        }
        return;
      }
      if (role.equals("bill")) {
        ConfigLoader.Loaded loaded = ConfigLoader.load(flags, BillCommand.FLAGS, System.getenv());
        System.out.println(BillCommand.run(loaded.config(), loaded.roleFlags()));
        return;
      }
      ChargebackConfig config = ConfigLoader.load(flags, Set.of(), System.getenv()).config();
      running =
          switch (role) {
            case "demo" -> Roles.demo(config);
            case "standalone" -> Roles.standalone(config);
            case "meter" -> Roles.meter(config);
            case "exporter" -> Roles.exporter(config);
            default ->
                throw new ConfigException("unknown role '" + role + "' (see chargeback help)");
          };
    } catch (ConfigException | StoreException | PriceBookException | BillException e) {
      System.err.println("chargeback: " + e.getMessage());
      System.exit(1);
      return;
    } catch (Exception e) {
      System.err.println("chargeback: " + e.getMessage());
      System.exit(1);
      return;
    }
    org.slf4j.LoggerFactory.getLogger(Main.class)
        .info("{} serving HTTP on port {}", role, running.port());
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    running.close();
                  } catch (Exception e) {
                    System.err.println("chargeback: error while stopping: " + e.getMessage());
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
