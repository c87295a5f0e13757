package dev.chargeback.exporter.metrics;

import dev.chargeback.meter.delivery.Deliveries;
import dev.chargeback.meter.store.DataVolume;
import dev.chargeback.meter.store.RollupStore;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.TreeMap;

/**
 * The meter's health, read at every scrape from the store's meta family, where the meter writes it
 * (one scrape port per pod): up, last ingest, samples, scrape and write errors, the data volume's
 * space, and the build.
 */
public final class HealthCollector implements MultiCollector {
  private final RollupStore store;
  private final InstantSource clock;
  private final Duration staleAfter;
  private final String version;
  private final Path data;

  /**
   * @param staleAfter the meter counts as down when its last ingest is older than this
   * @param data the store's directory, whose volume's space is published; null for none
   */
  public HealthCollector(
      RollupStore store, InstantSource clock, Duration staleAfter, String version, Path data) {
    this.store = store;
    this.clock = clock;
    this.staleAfter = staleAfter;
    this.version = version;
    this.data = data;
  }

  @Override
  public MetricSnapshots collect() {
    MetricSnapshots.Builder out = MetricSnapshots.builder();
    health(out);
    return out.build();
  }

  private void health(MetricSnapshots.Builder out) {
    long lastIngest = store.health().lastIngestMillis();
    boolean up = lastIngest > 0 && clock.millis() - lastIngest <= staleAfter.toMillis();
    out.metricSnapshot(
        gauge(
            "chargeback_meter_up",
            "1 when the meter ingested a scrape recently (within 5 scrape intervals), else 0.",
            up ? 1 : 0));
    out.metricSnapshot(
        gauge(
            "chargeback_meter_last_ingest_timestamp_seconds",
            "Unix time of the sample time of the meter's last stored scrape.",
            lastIngest / 1000.0));
    out.metricSnapshot(
        CounterSnapshot.builder()
            .name("chargeback_meter_samples_ingested")
            .help("Billable samples the meter has ingested.")
            .dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .value(store.health().samples())
                    .build())
            .build());
    CounterSnapshot.Builder errors =
        CounterSnapshot.builder()
            .name("chargeback_meter_scrape_errors")
            .help("Failed scrapes per target (unreachable, HTTP error, timeout, malformed body).");
    // Every known target, at 0 when healthy: a series that appears only on the first failure
    // makes increase() miss that failure.
    Map<String, Long> failed = new TreeMap<>(store.health().scrapeErrors());
    store.series().targets().forEach(t -> failed.putIfAbsent(t, 0L));
    failed.forEach(
        (target, n) ->
            errors.dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of("target", target))
                    .value(n)
                    .build()));
    out.metricSnapshot(errors.build());
    out.metricSnapshot(
        CounterSnapshot.builder()
            .name("chargeback_meter_write_errors")
            .help(
                "Store writes that failed (a full disk, an I/O error); none was applied, and the"
                    + " first scrape stored afterwards covers the gap.")
            .dataPoint(
                CounterSnapshot.CounterDataPointSnapshot.builder()
                    .value(store.health().writeErrors())
                    .build())
            .build());
    CounterSnapshot.Builder deliveries =
        CounterSnapshot.builder()
            .name("chargeback_delivery_failures")
            .help(
                "Failed sends of final bills per channel (email, webhook, log); each is retried"
                    + " with a doubling wait, and listed on /readyz once given up.");
    Deliveries.failures(store)
        .forEach(
            (channel, n) ->
                deliveries.dataPoint(
                    CounterSnapshot.CounterDataPointSnapshot.builder()
                        .labels(Labels.of("channel", channel))
                        .value(n)
                        .build()));
    out.metricSnapshot(deliveries.build());
    DataVolume volume = data == null ? null : DataVolume.of(data);
    if (volume != null) {
      out.metricSnapshot(
          gauge(
              "chargeback_store_volume_free_bytes",
              "Bytes free on the volume holding the store; at 0 the meter cannot write, and it"
                  + " resumes by itself when space returns.",
              volume.freeBytes()));
      out.metricSnapshot(
          gauge(
              "chargeback_store_volume_capacity_bytes",
              "Size of the volume holding the store.",
              volume.capacityBytes()));
    }
    out.metricSnapshot(
        gauge(
            "chargeback_store_created_timestamp_seconds",
            "Unix time the store was made; a backup restored keeps it. A central chargeback tells"
                + " by it whether counters that went down started over (a new store) or went back"
                + " to a backup's values.",
            store.health().createdSeconds()));
    out.metricSnapshot(
        GaugeSnapshot.builder()
            .name("chargeback_build_info")
            .help("chargeback's version; the value is always 1.")
            .dataPoint(
                GaugeSnapshot.GaugeDataPointSnapshot.builder()
                    .labels(Labels.of("version", version))
                    .value(1)
                    .build())
            .build());
  }

  private static GaugeSnapshot gauge(String name, String help, double value) {
    return GaugeSnapshot.builder()
        .name(name)
        .help(help)
        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(value).build())
        .build();
  }
}
