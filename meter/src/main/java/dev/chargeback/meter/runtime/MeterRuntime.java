package dev.chargeback.meter.runtime;

import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.MonthClose;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.delivery.Channel;
import dev.chargeback.meter.delivery.Deliveries;
import dev.chargeback.meter.delivery.EmailChannel;
import dev.chargeback.meter.delivery.LogChannel;
import dev.chargeback.meter.delivery.WebhookChannel;
import dev.chargeback.meter.discovery.ApiServerTransport;
import dev.chargeback.meter.discovery.KubeletCredentials;
import dev.chargeback.meter.discovery.KubernetesConnection;
import dev.chargeback.meter.discovery.KubernetesDiscovery;
import dev.chargeback.meter.exposition.LabelSelector;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.history.ChargebackImport;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.history.PrometheusImport;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.price.PriceHistory;
import dev.chargeback.meter.scrape.HttpTransport;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.ScrapeLoop;
import dev.chargeback.meter.scrape.Scraper;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.scrape.Transport;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.store.StoreException;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import dev.chargeback.meter.usage.PodDirectory;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store's one writer, wired from the configuration: the open store, the meter, its scrape loop,
 * discovery, and the periodic tasks (retention, the Prometheus source). {@link #close()} stops them
 * in order, each awaited, and closes the store last, so nothing touches it afterwards.
 */
public final class MeterRuntime implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MeterRuntime.class);

  private final RollupStore store;
  private final Meter meter;
  private final CostAccrual accrual;
  private final PriceBook priceBook;

  /** The node label keys the price book selects on (recorded of each node). */
  private final Set<String> nodeLabelKeys;

  private final ChargebackConfig config;
  private final InstantSource clock;

  /** The pseudo-target whose scrape errors count failed Kubernetes API calls. */
  static final String KUBERNETES_API = "kubernetes-api";

  /** Pseudo-targets whose scrape errors count failed runs of the periodic tasks. */
  static final String RETENTION = "retention";

  static final String PROMETHEUS_SOURCE = "prometheus-source";

  static final String MONTH_CLOSE = "month-close";

  static final String DELIVERY = "delivery";

  /** How often retention (and the monthly namespace labels) runs. */
  static final Duration RETENTION_EVERY = Duration.ofHours(1);

  private final PodDirectory pods = new PodDirectory();
  private final Map<String, Map<String, String>> namespaceLabels = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> namespaceAnnotations = new ConcurrentHashMap<>();
  private final Map<String, Map<String, String>> nodeLabels = new ConcurrentHashMap<>();
  private ScrapeLoop loop;
  private Scraper scraper;
  private KubernetesClient kubernetes;
  private KubernetesDiscovery discovery;
  private final List<PeriodicTask> tasks = new ArrayList<>();
  private final Deliveries deliveries;

  /**
   * Opens the store and checks the price book against the prices already in force (a changed
   * version in force is refused before anything is metered); nothing runs until {@link #start}.
   *
   * @param syncWrites fsync each batch (live metering); off for the demo's bulk replay
   */
  public MeterRuntime(ChargebackConfig config, boolean syncWrites, InstantSource clock) {
    this.config = config;
    this.clock = clock;
    BillingCalendar calendar = new BillingCalendar(config.billing().zone());
    this.store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(Path.of(config.data()), syncWrites), calendar, clock);
    String previous = store.fixZone(calendar.zone());
    if (previous != null) {
      LOG.warn(
          "billing.timeZone changed from {} to {}: days already stored keep {}'s boundaries, new"
              + " data uses {}",
          previous,
          calendar.zone(),
          previous,
          calendar.zone());
    }
    try {
      priceBook = PriceBookLoader.loadOrDefaults(config.prices());
      // Prices in force are immutable: a changed book is refused before anything is metered.
      PriceHistory.enforce(store, priceBook, LocalDate.ofInstant(clock.instant(), calendar.zone()));
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    nodeLabelKeys = priceBook.nodeLabelKeys();
    store.retain(retention(config), clock);
    this.accrual = new CostAccrual(priceBook, calendar, store.nodeLabels()::at);
    this.meter =
        new Meter(
            store, limits(config), pods, config.effectiveMaxGap(), accrual, commitLinger(config));
    List<Channel> channels;
    try {
      channels = channels(config, clock);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    this.deliveries =
        channels.isEmpty()
            ? null
            : new Deliveries(
                store,
                priceBook,
                channels,
                billPdf(config),
                config.delivery().maxAttempts(),
                config.delivery().retryAfter(),
                clock);
  }

  public RollupStore store() {
    return store;
  }

  public CostAccrual accrual() {
    return accrual;
  }

  /**
   * Prices other clusters' usage (a central chargeback's), each with its own section of the price
   * book when it has one.
   */
  public static Function<String, CostAccrual> clusterAccruals(
      PriceBook book, BillingCalendar calendar) {
    Map<String, CostAccrual> byCluster = new ConcurrentHashMap<>();
    return cluster ->
        byCluster.computeIfAbsent(cluster, c -> new CostAccrual(book.forCluster(c), calendar));
  }

  /** The clock the meter reads the present from. */
  public InstantSource clock() {
    return clock;
  }

  /** The price book, checked against the prices in force; loaded once per process. */
  public PriceBook priceBook() {
    return priceBook;
  }

  /** Closes the months whose time has come (their bills become final); returns those closed. */
  public List<YearMonth> closeMonths() {
    return MonthClose.runAll(store, priceBook, config.billing().closeAfter(), clock);
  }

  /** How PDF bills look, from the configuration ({@code bill.*}). */
  public static BillPdf billPdf(ChargebackConfig c) {
    return new BillPdf(
        new BillPdf.Style(
            path(c.bill().font()),
            path(c.bill().boldFont()),
            c.bill().organisation(),
            path(c.bill().logo())));
  }

  private static Path path(String value) {
    return value == null || value.isBlank() ? null : Path.of(value);
  }

  /** The delivery channels the configuration names; secrets are read from their files now. */
  static List<Channel> channels(ChargebackConfig c, InstantSource clock) {
    ChargebackConfig.Delivery d = c.delivery();
    List<Channel> out = new ArrayList<>();
    for (String name : d.channels()) {
      out.add(
          switch (name) {
            case "email" ->
                new EmailChannel(
                    d.smtp().host(),
                    d.smtp().port(),
                    d.smtp().startTls(),
                    d.smtp().username(),
                    secret("delivery.smtp.passwordFile", d.smtp().passwordFile()),
                    d.from(),
                    d.attachCsv());
            case "webhook" ->
                new WebhookChannel(
                    URI.create(d.webhook().url()),
                    secret("delivery.webhook.secretFile", d.webhook().secretFile())
                        .getBytes(StandardCharsets.UTF_8),
                    clock);
            default -> new LogChannel();
          });
    }
    return out;
  }

  /** A secret file's content, without its trailing newline; empty for no file. */
  private static String secret(String key, String file) {
    if (file.isBlank()) {
      return "";
    }
    try {
      return Files.readString(Path.of(file)).strip();
    } catch (IOException e) {
      throw new ConfigException("config key '" + key + "': cannot read " + file);
    }
  }

  /** Delivers what is due of the closed months' final bills (nothing without channels). */
  public int deliverBills() {
    return deliveries == null ? 0 : deliveries.run();
  }

  /** Each granularity's retention, from the configuration. */
  public static Map<Granularity, Duration> retention(ChargebackConfig c) {
    return Map.of(
        Granularity.FIVE_MINUTES, c.retention().fiveMinute(),
        Granularity.HOUR, c.retention().hourly(),
        Granularity.DAY, c.retention().daily());
  }

  /** The parser's bounds, from the configuration. */
  public static ParserLimits limits(ChargebackConfig c) {
    return new ParserLimits(
        c.limits().maxLineBytes(), c.limits().maxLabels(), c.limits().maxBodyBytes());
  }

  /** Starts scraping {@code targets} and hourly retention, without discovery. */
  public void start(List<Target> targets) {
    start(targets, Map.of(), false);
  }

  /**
   * Starts scraping {@code targets} and hourly retention; with {@code discover}, also the targets
   * the Kubernetes API names, when {@code kubernetes.discovery} (auto: a pod or a kubeconfig in
   * {@code env}) says so.
   */
  public void start(List<Target> targets, Map<String, String> env, boolean discover) {
    ChargebackConfig.Kubernetes k = config.kubernetes();
    KubernetesClient client =
        discover && KubernetesConnection.wanted(k.discovery(), k.kubeconfig(), env)
            ? KubernetesConnection.open(k.kubeconfig())
            : null;
    scraper = new Scraper(config.scrapeTimeout(), client == null ? Map.of() : transports(client));
    loop = new ScrapeLoop(meter, scraper, clock, config.scrapeInterval());
    loop.start(targets);
    if (client != null) {
      kubernetes = client;
      discovery = new KubernetesDiscovery(client, discoverySettings(), pods, listener(targets));
      discovery.start();
      LOG.info("discovering targets from the Kubernetes API at {}", client.getMasterUrl());
    }
    Map<Granularity, Duration> retention = retention(config);
    tasks.add(
        new PeriodicTask(
            RETENTION,
            Duration.ofMinutes(1),
            RETENTION_EVERY,
            () -> {
              // A new month keeps the namespaces' labels on its bills.
              YearMonth month = store.calendar().monthOf(clock.instant());
              namespaceLabels.forEach((ns, labels) -> store.labels().record(ns, month, labels));
              namespaceAnnotations.forEach(store.annotations()::record);
              nodeLabels.forEach(this::recordNodeLabels);
              meter.expire(clock.millis(), retention, RollupStore.EXPIRY_KEYS_PER_RUN);
            },
            this::countFailure));
    tasks.add(
        new PeriodicTask(
            MONTH_CLOSE,
            Duration.ZERO,
            Duration.ofMinutes(10),
            this::closeMonths,
            this::countFailure));
    if (deliveries != null) {
      tasks.add(
          new PeriodicTask(
              DELIVERY,
              // Soon after the month close's first run, which starts at once.
              Duration.ofSeconds(5),
              Duration.ofMinutes(1),
              this::deliverBills,
              this::countFailure));
    }
    if (!config.prometheus().url().isBlank()) {
      startPrometheusSource();
    }
    LOG.info(
        "metering {} target(s) every {} s into {}",
        targets.size(),
        config.scrapeInterval().toSeconds(),
        config.data());
  }

  /**
   * The {@code prometheus} source: every 5 minutes, the closed hours of the lookback window that
   * have no source yet are read from the engine (hours already metered are not queried again).
   */
  private void startPrometheusSource() {
    ChargebackConfig.Prometheus p = config.prometheus();
    PrometheusApi api =
        new PrometheusApi(
            PrometheusApi.endpoint(
                p.url(),
                p.bearerTokenFile(),
                p.basicAuthFile(),
                p.caFile(),
                p.insecureSkipVerify(),
                p.timeout()),
            p.maxAnswerBytes());
    boolean central = ChargebackConfig.Prometheus.CHARGEBACK.equals(p.source());
    Importer source =
        central
            ? new ChargebackImport(
                    store, api, p.clusterLabel(), clusterAccruals(priceBook, store.calendar()), 1)
                ::run
            : new PrometheusImport(store, api, accrual, 1)::run;
    tasks.add(
        new PeriodicTask(
            PROMETHEUS_SOURCE,
            Duration.ZERO,
            Duration.ofMinutes(5),
            () -> {
              long now = clock.millis();
              try {
                ImportReport report =
                    source.run(now - p.lookback().toMillis(), now - p.delay().toMillis());
                if (!report.written().isEmpty() || !report.failed().isEmpty()) {
                  LOG.info("prometheus source {}: {}", p.url(), report.summary().strip());
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            this::countFailure));
    LOG.info(
        central
            ? "metering other clusters' chargeback counters from the Prometheus-compatible API at"
                + " {} hour by hour, by label {}"
            : "metering from the Prometheus-compatible API at {} hour by hour",
        p.url(),
        p.clusterLabel());
  }

  /** Imports whole hours in [from, to) (epoch millis). */
  @FunctionalInterface
  private interface Importer {
    ImportReport run(long fromMillis, long toMillis) throws InterruptedException;
  }

  /**
   * How long a scrape waits for others to join its write: a tenth of the interval, at most a second
   * (scrapes are spread over the interval; see {@code GroupCommit}).
   */
  static Duration commitLinger(ChargebackConfig config) {
    Duration tenth = config.scrapeInterval().dividedBy(10);
    return tenth.compareTo(Duration.ofSeconds(1)) > 0 ? Duration.ofSeconds(1) : tenth;
  }

  private Map<Target.Access, Transport> transports(KubernetesClient client) {
    ChargebackConfig.Kubelet kubelet = config.kubelet();
    Path sa = KubeletCredentials.SERVICE_ACCOUNT;
    Path ca = kubelet.caFile().isBlank() ? sa.resolve("ca.crt") : Path.of(kubelet.caFile());
    Path token = kubelet.tokenFile().isBlank() ? sa.resolve("token") : Path.of(kubelet.tokenFile());
    return Map.of(
        Target.Access.KUBELET,
        new HttpTransport(
            config.scrapeTimeout(),
            KubeletCredentials.tls(kubelet.insecureSkipVerify(), ca),
            KubeletCredentials.token(token, KubernetesConnection.token(client))),
        Target.Access.API_SERVER,
        new ApiServerTransport(client));
  }

  private KubernetesDiscovery.Settings discoverySettings() {
    String ksm = config.kubeStateMetrics().url();
    return new KubernetesDiscovery.Settings(
        config.kubelet().viaApiServerProxy(),
        LabelSelector.parse(config.nodeExporter().selector()),
        config.nodeExporter().port(),
        ksm.isBlank() ? null : URI.create(ksm),
        config.kubernetes().namespaceLabels(),
        config.scrapeInterval(),
        LabelSelector.parse(config.dcgm().selector()),
        config.dcgm().port());
  }

  /** Discovery's results: targets join the static ones; labels and API errors are stored. */
  private KubernetesDiscovery.Listener listener(List<Target> staticTargets) {
    return new KubernetesDiscovery.Listener() {
      @Override
      public void targets(List<Target> discovered) {
        List<Target> all = new ArrayList<>(staticTargets);
        all.addAll(discovered);
        loop.update(all);
      }

      @Override
      public void namespaceLabels(String namespace, Map<String, String> labels) {
        namespaceLabels.put(namespace, labels);
        try {
          store.labels().record(namespace, store.calendar().monthOf(clock.instant()), labels);
        } catch (StoreException e) {
          // The store logs failing writes; the hourly rewrite stores the labels later.
        }
      }

      @Override
      public void namespaceAnnotations(String namespace, Map<String, String> annotations) {
        namespaceAnnotations.put(namespace, annotations);
        try {
          store.annotations().record(namespace, annotations);
        } catch (StoreException e) {
          // The store logs failing writes; the hourly rewrite stores the annotations later.
        }
      }

      @Override
      public void nodeLabels(String node, Map<String, String> labels) {
        recordNodeLabels(node, labels);
      }

      @Override
      public void apiError(String reason) {
        countFailure(KUBERNETES_API);
      }
    };
  }

  /**
   * Records a node's labels, only the keys the price book's node classes select on (nothing without
   * classes), so its usage from now on is priced with its class.
   */
  public void recordNodeLabels(String node, Map<String, String> labels) {
    Set<String> keys = nodeLabelKeys;
    if (keys.isEmpty()) {
      return;
    }
    nodeLabels.put(node, labels);
    Map<String, String> chosen = new TreeMap<>();
    labels.forEach(
        (k, v) -> {
          if (keys.contains(k)) {
            chosen.put(k, v);
          }
        });
    try {
      store.nodeLabels().record(node, chosen, clock.millis() / 1000);
    } catch (StoreException e) {
      // The store logs failing writes; the node's usage keeps its last recorded class.
    }
  }

  /** Counts a failure of a pseudo-target (the API, a periodic task) where metrics read it. */
  private void countFailure(String pseudoTarget) {
    try {
      store.recordScrapeError(pseudoTarget);
    } catch (StoreException e) {
      // The store logs failing writes; a failure while it cannot write goes uncounted.
    }
  }

  /**
   * Stops in order: discovery (no new targets), the scrape loops (scrapes in flight awaited), the
   * periodic tasks (a run in progress awaited), the HTTP clients, and last the store.
   */
  @Override
  public void close() {
    if (discovery != null) {
      discovery.close();
    }
    if (loop != null) {
      loop.close();
    }
    tasks.forEach(PeriodicTask::close);
    if (scraper != null) {
      scraper.close();
    }
    if (kubernetes != null) {
      kubernetes.close();
    }
    store.close();
  }
}
