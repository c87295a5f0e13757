package dev.chargeback.exporter.role;

import dev.chargeback.exporter.admin.AdminServer;
import dev.chargeback.exporter.http.AccessControl;
import dev.chargeback.exporter.http.BillRoutes;
import dev.chargeback.exporter.http.HttpApi;
import dev.chargeback.exporter.http.Readiness;
import dev.chargeback.exporter.http.Tls;
import dev.chargeback.exporter.metrics.BillingMetrics;
import dev.chargeback.exporter.metrics.HealthCollector;
import dev.chargeback.exporter.metrics.MetricsPage;
import dev.chargeback.exporter.sim.SimEndpoints;
import dev.chargeback.exporter.web.WebRoutes;
import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.delivery.Deliveries;
import dev.chargeback.meter.discovery.KubernetesConnection;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookException;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.runtime.MeterRuntime;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.sim.SimReplay;
import dev.chargeback.meter.store.DataVolume;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts each role from its parts. Every method returns once serving; close() stops it. */
public final class Roles {
  private static final Logger LOG = LoggerFactory.getLogger(Roles.class);

  /** The exporter's default port; the meter's own port is the next one. */
  public static final String EXPORTER_LISTEN = "0.0.0.0:9466";

  public static final String METER_LISTEN = "0.0.0.0:9467";

  private Roles() {}

  /** A started role: its HTTP port, and how to stop it. */
  public record Running(int port, Stop stop) implements AutoCloseable {
    @Override
    public void close() {
      stop.run();
    }
  }

  /** Stops a role's parts. */
  @FunctionalInterface
  public interface Stop {
    void run();
  }

  static List<Target> staticTargets(ChargebackConfig c) {
    List<Target> targets = new ArrayList<>();
    for (String spec : c.targets()) {
      try {
        targets.add(Target.parse(spec));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("config key 'targets': " + e.getMessage());
      }
    }
    return targets;
  }

  static PriceBook priceBook(ChargebackConfig c) {
    return PriceBookLoader.loadOrDefaults(c.prices());
  }

  static Biller biller(RollupStore store, ChargebackConfig c) {
    return new Biller(store, priceBook(c), InstantSource.system());
  }

  /** What the HTTP roles serve from one store: its price book (loaded once) and the clock. */
  private record Served(RollupStore store, PriceBook book, InstantSource clock) {}

  static BillPdf pdf(ChargebackConfig c) {
    return MeterRuntime.billPdf(c);
  }

  /**
   * Access control when {@code access.enabled}: TokenReview and SubjectAccessReview through the
   * pod's service account (or the kubeconfig); its client lives as long as the process.
   */
  static AccessControl access(ChargebackConfig c) {
    if (!c.access().enabled()) {
      return null;
    }
    return new AccessControl(
        KubernetesConnection.openForRequests(c.kubernetes().kubeconfig()),
        c.access().verb(),
        c.access().resource(),
        c.access().cacheTtl(),
        c.access().tokenHeader());
  }

  /** The bill and API routes over {@code store}. */
  private static Consumer<JavalinConfig> billing(Served s, ChargebackConfig c) {
    AccessControl access = access(c);
    Biller biller = new Biller(s.store(), s.book(), s.clock());
    BillRoutes routes = new BillRoutes(s.store(), biller, pdf(c), access, c.clusterName());
    WebRoutes pages = new WebRoutes(s.store(), biller, access, c.access().signIn());
    Consumer<JavalinConfig> tls =
        c.tls().certFile().isBlank()
            ? cfg -> {}
            : Tls.listener(
                Path.of(c.tls().certFile()),
                Path.of(c.tls().keyFile()),
                c.listenOr(EXPORTER_LISTEN));
    return cfg -> {
      routes.register(cfg);
      pages.register(cfg);
      BillRoutes.errors(cfg);
      tls.accept(cfg);
    };
  }

  private static MetricsPage metrics(Served s, ChargebackConfig c) {
    PrometheusRegistry registry = new PrometheusRegistry();
    JvmMetrics.builder().register(registry);
    registry.register(
        new HealthCollector(
            s.store(),
            s.clock(),
            c.scrapeInterval().multipliedBy(5),
            version(),
            Path.of(c.data())));
    return new MetricsPage(new BillingMetrics(s.store(), s.book(), s.clock()), registry);
  }

  static String version() {
    String v = Roles.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }

  /**
   * The meter: the only writer. Its own port serves health to probes; the admin endpoints listen on
   * loopback only.
   */
  public static Running meter(ChargebackConfig c) {
    return writer(
        c,
        METER_LISTEN,
        w ->
            HttpApi.start(
                c.listenOr(METER_LISTEN),
                null,
                null,
                () -> Readiness.ready(notes(w.store(), c)),
                cfg -> {}));
  }

  /**
   * A writer role: the store's writer, its main HTTP server and its loopback admin endpoints,
   * started in that order (configuration checked first); what started is stopped if a later part
   * fails (a port taken).
   */
  private static Running writer(
      ChargebackConfig c, String defaultListen, Function<MeterRuntime, Javalin> http) {
    List<Target> targets = staticTargets(c);
    MeterRuntime writer = new MeterRuntime(c, true, InstantSource.system());
    List<Javalin> servers = new ArrayList<>();
    try {
      servers.add(http.apply(writer));
      servers.add(admin(writer, c, defaultListen));
    } catch (RuntimeException e) {
      servers.forEach(Javalin::stop);
      writer.close();
      throw e;
    }
    writer.start(targets, System.getenv(), true);
    return serving(servers, writer::close);
  }

  /** The writer's admin endpoints (import, backup) on loopback. */
  private static Javalin admin(MeterRuntime writer, ChargebackConfig c, String defaultListen) {
    return AdminServer.start(
        c.adminListen(defaultListen),
        c.admin().directories(),
        request -> ImportCommand.run(writer.store(), c, request),
        to -> BackupCommand.checkpoint(writer.store().keyValueStore(), to));
  }

  /** A writer's store as served: its price book and clock are the writer's. */
  private static Served served(MeterRuntime writer) {
    return new Served(writer.store(), writer.priceBook(), writer.clock());
  }

  /** The exporter: a read-only secondary of the meter's store, serving HTTP. */
  public static Running exporter(ChargebackConfig c) {
    awaitStore(Path.of(c.data()), STORE_WAIT);
    RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openSecondary(Path.of(c.data())),
            new BillingCalendar(c.billing().zone()));
    Served served;
    Javalin http;
    try {
      served = new Served(store, priceBook(c), InstantSource.system());
      http =
          HttpApi.start(
              c.listenOr(EXPORTER_LISTEN),
              store,
              metrics(served, c),
              () -> caughtUp(store, c),
              billing(served, c));
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    return serving(List.of(http), store::close);
  }

  /** How long the exporter waits for the meter to create the store (they start together). */
  static final Duration STORE_WAIT = Duration.ofMinutes(2);

  /** Waits until the meter has created the store in {@code data}, or fails after {@code wait}. */
  static void awaitStore(Path data, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    boolean said = false;
    while (!Files.isRegularFile(data.resolve("CURRENT"))) {
      if (System.nanoTime() > deadline) {
        throw new ConfigException(
            "config key 'data': no chargeback store in "
                + data
                + " after "
                + wait.toSeconds()
                + " s; start the meter first (it creates the store)");
      }
      if (!said) {
        LOG.info("waiting for the meter to create its store in {}", data);
        said = true;
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ConfigException("interrupted while waiting for the store in " + data);
      }
    }
  }

  /**
   * Started HTTP servers in front of {@code backend}; stopping stops the servers first (no new
   * requests), then the backend. The first server's port is the role's.
   */
  private static Running serving(List<Javalin> servers, Stop backend) {
    return new Running(
        servers.get(0).port(),
        () -> {
          servers.forEach(Javalin::stop);
          backend.run();
        });
  }

  /** Ready once the secondary has caught up with the meter's writes. */
  private static Readiness caughtUp(RollupStore store, ChargebackConfig c) {
    try {
      store.catchUp();
    } catch (RuntimeException e) {
      return Readiness.notReady("not caught up with the meter's store: " + e.getMessage());
    }
    return Readiness.ready(notes(store, c));
  }

  /**
   * What /readyz notes without failing readiness: this process's failing writes, and a (nearly)
   * full data volume, which the exporter sees too, since it shares the meter's volume.
   */
  private static List<String> notes(RollupStore store, ChargebackConfig c) {
    List<String> notes = new ArrayList<>(2);
    String writes = store.health().writes().problem();
    if (writes != null) {
      notes.add(writes);
    }
    Path data = Path.of(c.data());
    DataVolume volume = DataVolume.of(data);
    if (volume != null && volume.low()) {
      notes.add(volume.describe(data));
    }
    for (String failed : Deliveries.failed(store)) {
      notes.add("final bill not delivered (given up): " + failed);
    }
    return notes;
  }

  /**
   * Meter and exporter in one JVM on one port, metering static targets; the admin endpoints listen
   * on loopback, as the meter's do.
   */
  public static Running standalone(ChargebackConfig c) {
    return writer(
        c,
        EXPORTER_LISTEN,
        w -> {
          Served served = served(w);
          return HttpApi.start(
              c.listenOr(EXPORTER_LISTEN),
              w.store(),
              metrics(served, c),
              () -> Readiness.ready(notes(w.store(), c)),
              billing(served, c));
        });
  }

  /** The demo's price book, written beside its data (where a user can read and change it). */
  private static Path demoPrices(ChargebackConfig c) {
    Path file = Path.of(c.data()).resolve("demo-prices.yaml");
    try {
      Files.createDirectories(file.getParent());
      if (!Files.exists(file)) {
        Files.writeString(file, SimCluster.priceBook());
      }
    } catch (IOException e) {
      throw new ConfigException("config key 'data': cannot write " + file + ": " + e.getMessage());
    }
    return file;
  }

  /**
   * {@code standalone} on the simulated cluster: replays its history (at least 35 days, from the
   * start of the month before last, or since the demo last ran) in seconds, then meters it live
   * over HTTP on the same port.
   */
  public static Running demo(ChargebackConfig given) {
    // Final bills go to the log when no channel is configured: the demo shows delivery too.
    ChargebackConfig.Delivery d = given.delivery();
    ChargebackConfig logged =
        d.channels().isEmpty()
            ? given.withDelivery(
                new ChargebackConfig.Delivery(
                    List.of("log"),
                    d.from(),
                    d.smtp(),
                    d.webhook(),
                    d.attachCsv(),
                    d.maxAttempts(),
                    d.retryAfter()))
            : given;
    // The demo's own price book unless one is given.
    ChargebackConfig c =
        logged.prices() == null || logged.prices().isBlank()
            ? logged.withPrices(demoPrices(logged).toString())
            : logged;
    SimCluster sim = new SimCluster();
    InstantSource clock = InstantSource.system();
    MeterRuntime writer;
    try {
      writer = new MeterRuntime(c, false, clock);
    } catch (PriceBookException e) {
      throw new PriceBookException(
          e.getMessage()
              + ". The demo's data in "
              + c.data()
              + " was made with other prices; remove that directory to start the demo afresh");
    }
    // The simulated nodes' labels (one is spot), as discovery would have recorded them.
    sim.nodeLabels().forEach(writer::recordNodeLabels);
    List<Target> replayTargets = SimReplay.targets(sim, "http://replay/sim");
    long now = clock.millis();
    long step = Duration.ofMinutes(30).toMillis();
    long last = writer.store().series().lastScrape(replayTargets.get(0).name());
    // From the start of the month before last (at least 35 days): a whole month that has
    // closed, with final bills, and the month after it.
    long monthBeforeLast =
        writer
                .store()
                .calendar()
                .startOf(writer.store().calendar().monthOf(clock.instant()).minusMonths(2).atDay(1))
            * 1000;
    long from =
        last == Long.MIN_VALUE
            ? Math.min(now - Duration.ofDays(35).toMillis(), monthBeforeLast)
            : last + step;
    from = Math.floorDiv(from, step) * step;
    if (from < now) {
      long started = System.nanoTime();
      long scrapes = SimReplay.history(sim, writer.store(), writer.accrual(), from, now, step);
      LOG.info(
          "demo: replayed {} simulated scrapes ({} days of history) in {} ms",
          scrapes,
          (now - from) / 86_400_000,
          (System.nanoTime() - started) / 1_000_000);
    }
    // Months of the replay that are past their close get their final bills now.
    writer.closeMonths();
    // The simulated namespaces' labels, in force since the replay's first month.
    YearMonth firstMonth =
        YearMonth.from(Instant.ofEpochMilli(from).atZone(writer.store().calendar().zone()));
    sim.namespaceLabels()
        .forEach((ns, labels) -> writer.store().labels().record(ns, firstMonth, labels));
    // And their annotations (budgets), as discovery would have kept them.
    sim.namespaceAnnotations().forEach(writer.store().annotations()::record);
    Served served = served(writer);
    Javalin http =
        HttpApi.start(
            c.listenOr(EXPORTER_LISTEN),
            writer.store(),
            metrics(served, c),
            () -> Readiness.ready(notes(writer.store(), c)),
            billing(served, c).andThen(cfg -> SimEndpoints.register(cfg, "/sim", sim, clock)));
    writer.start(SimReplay.targets(sim, "http://127.0.0.1:" + http.port() + "/sim"));
    LOG.info("demo: serving on port {}; namespaces {}", http.port(), sim.namespaces());
    return serving(List.of(http), writer::close);
  }
}
