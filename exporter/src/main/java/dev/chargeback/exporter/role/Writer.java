package dev.chargeback.exporter.role;

import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceHistory;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.ScrapeLoop;
import dev.chargeback.meter.scrape.Scraper;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import dev.chargeback.meter.usage.PodDirectory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
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
  private ScrapeLoop loop;
  private Scraper scraper;
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
    this.meter =
        new Meter(store, limits(config), new PodDirectory(), config.effectiveMaxGap(), accrual);
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

  /** Starts scraping {@code targets} and hourly retention. */
  void start(List<Target> targets, InstantSource clock) {
    scraper = new Scraper(config.scrapeTimeout());
    loop = new ScrapeLoop(meter, scraper, clock, config.scrapeInterval());
    loop.start(targets);
    Map<Granularity, Duration> retention = retention(config);
    housekeeping.scheduleAtFixedRate(
        () -> {
          try {
            meter.expire(clock.millis(), retention);
          } catch (RuntimeException e) {
            LOG.warn("retention failed: {}", e.getMessage());
          }
        },
        1,
        60,
        TimeUnit.MINUTES);
    LOG.info(
        "metering {} target(s) every {} s into {}",
        targets.size(),
        config.scrapeInterval().toSeconds(),
        config.data());
  }

  @Override
  public void close() {
    housekeeping.shutdownNow();
    if (loop != null) {
      loop.close();
    }
    if (scraper != null) {
      scraper.close();
    }
    store.close();
  }
}
