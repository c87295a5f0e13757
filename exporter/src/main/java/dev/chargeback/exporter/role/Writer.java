package dev.chargeback.exporter.role;

import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.discovery.ApiServerTransport;
import dev.chargeback.meter.discovery.KubeletCredentials;
import dev.chargeback.meter.discovery.KubernetesConnection;
import dev.chargeback.meter.discovery.KubernetesDiscovery;
import dev.chargeback.meter.discovery.LabelSelector;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.history.PrometheusImport;
import dev.chargeback.meter.price.CostAccrual;
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
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The store's one writer: the open store, the meter, its scrape loop and retention. */
final class Writer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Writer.class);

  final RollupStore store;
  final Meter meter;
  final CostAccrual accrual;
  private final ChargebackConfig config;

  /** The pseudo-target whose scrape errors count failed Kubernetes API calls. */
  static final String KUBERNETES_API = "kubernetes-api";

  private final PodDirectory pods = new PodDirectory();
  private final Map<String, Map<String, String>> namespaceLabels = new ConcurrentHashMap<>();
  private ScrapeLoop loop;
  private Scraper scraper;
  private KubernetesClient kubernetes;
  private KubernetesDiscovery discovery;
  private final ScheduledExecutorService prometheusSource =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("prometheus-source").unstarted(r));
  private final ScheduledExecutorService housekeeping =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("retention").unstarted(r));

  Writer(ChargebackConfig config, boolean syncWrites) {
    this.config = config;
    BillingCalendar calendar = new BillingCalendar(config.billing().zone());
    this.store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(Path.of(config.data()), syncWrites), calendar);
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
      // Prices in force are immutable: a changed book is refused before anything is metered.
      PriceHistory.enforce(store, Roles.priceBook(config), LocalDate.now(calendar.zone()));
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    store.retain(retention(config), InstantSource.system());
    this.accrual = new CostAccrual(Roles.priceBook(config), calendar);
    this.meter = new Meter(store, limits(config), pods, config.effectiveMaxGap(), accrual);
  }

  static Map<Granularity, Duration> retention(ChargebackConfig c) {
    return Map.of(
        Granularity.FIVE_MINUTES, c.retention().fiveMinute(),
        Granularity.HOUR, c.retention().hourly(),
        Granularity.DAY, c.retention().daily());
  }

  static ParserLimits limits(ChargebackConfig c) {
    return new ParserLimits(
        c.limits().maxLineBytes(), c.limits().maxLabels(), c.limits().maxBodyBytes());
  }

  /** Starts scraping {@code targets} and hourly retention, without discovery. */
  void start(List<Target> targets, InstantSource clock) {
    start(targets, clock, Map.of(), false);
  }

  /**
   * Starts scraping {@code targets} and hourly retention; with {@code discover}, also the targets
   * the Kubernetes API names, when {@code kubernetes.discovery} (auto: a pod or a kubeconfig in
   * {@code env}) says so.
   */
  void start(List<Target> targets, InstantSource clock, Map<String, String> env, boolean discover) {
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
    housekeeping.scheduleAtFixedRate(
        () -> {
          try {
            // A new month keeps the namespaces' labels on its bills.
            YearMonth month = YearMonth.now(store.calendar().zone());
            namespaceLabels.forEach((ns, labels) -> store.recordNamespaceLabels(ns, month, labels));
            meter.expire(clock.millis(), retention);
          } catch (RuntimeException e) {
            LOG.warn("retention failed: {}", e.getMessage());
          }
        },
        1,
        60,
        TimeUnit.MINUTES);
    if (!config.prometheus().url().isBlank()) {
      startPrometheusSource(clock);
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
  private void startPrometheusSource(InstantSource clock) {
    ChargebackConfig.Prometheus p = config.prometheus();
    PrometheusApi api =
        new PrometheusApi(
            PrometheusApi.endpoint(
                p.url(),
                p.bearerTokenFile(),
                p.basicAuthFile(),
                p.caFile(),
                p.insecureSkipVerify(),
                p.timeout()));
    PrometheusImport source = new PrometheusImport(store, api, accrual, 1);
    prometheusSource.scheduleWithFixedDelay(
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
          } catch (RuntimeException e) {
            LOG.warn("prometheus source {} failed: {}", p.url(), e.getMessage());
          }
        },
        0,
        5,
        TimeUnit.MINUTES);
    LOG.info("metering from the Prometheus-compatible API at {} hour by hour", p.url());
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
        config.scrapeInterval());
  }

  /** Discovery's results: targets join the static ones; labels and API errors are stored. */
  private KubernetesDiscovery.Listener listener(List<Target> staticTargets) {
    ZoneId zone = store.calendar().zone();
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
          store.recordNamespaceLabels(namespace, YearMonth.now(zone), labels);
        } catch (StoreException e) {
          // The store logs failing writes; the hourly rewrite stores the labels later.
        }
      }

      @Override
      public void apiError(String reason) {
        try {
          store.recordScrapeError(KUBERNETES_API);
        } catch (StoreException e) {
          // The store logs failing writes; an API error while it cannot write goes uncounted.
        }
      }
    };
  }

  @Override
  public void close() {
    housekeeping.shutdownNow();
    prometheusSource.shutdownNow();
    if (discovery != null) {
      discovery.close();
    }
    if (kubernetes != null) {
      kubernetes.close();
    }
    if (loop != null) {
      loop.close();
    }
    if (scraper != null) {
      scraper.close();
    }
    store.close();
  }
}
