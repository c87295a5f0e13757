package dev.chargeback.exporter.role;

import dev.chargeback.exporter.admin.ImportRequest;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.exposition.ExpositionException;
import dev.chargeback.meter.history.ChargebackImport;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.OpenMetricsImport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.history.PrometheusImport;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.runtime.MeterRuntime;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;

/**
 * {@code chargeback import}: history from an OpenMetrics file or a Prometheus-compatible API. The
 * meter is the only writer: on a stopped meter's data the import writes directly; while the meter
 * runs (its store is locked) the request goes to the meter's admin endpoint and the meter does it.
 */
public final class ImportCommand {
  public static final Set<String> FLAGS =
      Set.of(
          "openmetrics",
          "prometheus-url",
          "start",
          "end",
          "bearer-token-file",
          "basic-auth-file",
          "ca-file",
          "insecure-skip-verify",
          "timeout",
          "source",
          "cluster-label",
          "meter-url");

  public static final String HELP =
      """
      usage: chargeback import --openmetrics FILE
             chargeback import --prometheus-url URL --start T --end T
                 [--source cadvisor|chargeback] [--cluster-label cluster]
                 [--bearer-token-file F | --basic-auth-file F] [--ca-file F]
                 [--insecure-skip-verify true] [--timeout 2m]
             [--data DIR] [--meter-url http://127.0.0.1:9468]

      Loads usage from before the meter ran. Each UTC hour is written whole, once: hours that live
      metering recorded, or an earlier import wrote, are left alone, so importing the same range
      twice changes nothing and an interrupted import continues where it stopped.

      sources:
        --openmetrics FILE   an OpenMetrics file whose samples carry timestamps (the input of
                             promtool tsdb create-blocks-from openmetrics): cAdvisor, kube-state-
                             metrics and node-exporter series, metered with the live rules
        --prometheus-url URL a Prometheus-compatible query API (Prometheus, Thanos querier, Mimir,
                             VictoriaMetrics): hourly aggregated queries, at most a day each, for
                             [--start, --end) (RFC 3339 like 2026-10-01T00:00:00Z, or a date);
                             failed hours are listed and retried by the next run, never filled
        --source cadvisor    (default) the cluster's cAdvisor, kube-state-metrics and node-exporter
                             series, into this store
        --source chargeback  a central chargeback: other clusters' chargeback counters
                             (chargeback_usage_*_total …), told apart by --cluster-label (default
                             the config's prometheus.clusterLabel, "cluster"); each cluster's
                             namespaces hour by hour into its own part of the store, exactly

      modes:
        the meter is stopped   the import opens --data and writes it directly
        the meter is running   the import asks the meter's admin endpoint (--meter-url, default
                               http://127.0.0.1:9468, loopback only) to do it: run it in the
                               meter's container (kubectl exec … -c meter), with the files it names
                               in the meter's admin.directories (default /tmp)

      Exit status 0 when every hour was imported or already had a source, 1 when some failed.
      """;

  private ImportCommand() {}

  /** Runs the import here or at the running meter; returns the exit status. */
  public static int run(ChargebackConfig c, Map<String, String> flags, PrintStream out) {
    ImportRequest request = ImportRequest.of(flags).validate();
    RocksKeyValueStore kv = MeterAdmin.openUnlessRunning(Path.of(c.data()));
    if (kv == null) {
      return MeterAdmin.forward(
          flags.getOrDefault("meter-url", MeterAdmin.DEFAULT_URL), "/admin/import", request, out);
    }
    try (RollupStore store = new RollupStore(kv, new BillingCalendar(c.billing().zone()))) {
      // Buckets already past retention are not written (the meter would expire them at once).
      store.retain(MeterRuntime.retention(c), InstantSource.system());
      ImportReport report = run(store, c, request);
      out.print(report.summary());
      return report.failed().isEmpty() ? 0 : 1;
    }
  }

  /** Imports into an open store (the CLI's, or the running meter's). */
  public static ImportReport run(RollupStore store, ChargebackConfig c, ImportRequest request) {
    PriceBook book = Roles.priceBook(c);
    BillingCalendar calendar = new BillingCalendar(c.billing().zone());
    CostAccrual accrual = new CostAccrual(book, calendar);
    if (request.openmetrics() != null) {
      try (InputStream in =
          new BufferedInputStream(Files.newInputStream(Path.of(request.openmetrics())), 1 << 16)) {
        return new OpenMetricsImport(store, c.effectiveMaxGap(), accrual, MeterRuntime.limits(c))
            .run(in);
      } catch (ExpositionException e) {
        throw new ConfigException(
            "flag --openmetrics: " + request.openmetrics() + ": " + e.getMessage());
      } catch (IOException e) {
        throw new ConfigException("flag --openmetrics: cannot read: " + e.getMessage());
      }
    }
    long from = ImportRequest.instant("start", request.start()).toEpochMilli();
    long to = ImportRequest.instant("end", request.end()).toEpochMilli();
    try (PrometheusApi api =
        new PrometheusApi(request.endpoint(), c.prometheus().maxAnswerBytes())) {
      if (ChargebackConfig.Prometheus.CHARGEBACK.equals(request.source())) {
        String label =
            request.clusterLabel() == null ? c.prometheus().clusterLabel() : request.clusterLabel();
        return new ChargebackImport(
                store, api, label, MeterRuntime.clusterAccruals(book, calendar), 3)
            .run(from, to);
      }
      return new PrometheusImport(store, api, accrual, 3).run(from, to);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("import interrupted");
    }
  }
}
