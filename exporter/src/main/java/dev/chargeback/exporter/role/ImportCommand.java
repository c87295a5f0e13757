package dev.chargeback.exporter.role;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.config.Durations;
import dev.chargeback.meter.exposition.ExpositionException;
import dev.chargeback.meter.history.ImportReport;
import dev.chargeback.meter.history.OpenMetricsImport;
import dev.chargeback.meter.history.PrometheusApi;
import dev.chargeback.meter.history.PrometheusImport;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
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
          "meter-url");

  public static final String HELP =
      """
      usage: chargeback import --openmetrics FILE
             chargeback import --prometheus-url URL --start T --end T
                 [--bearer-token-file F | --basic-auth-file F] [--ca-file F]
                 [--insecure-skip-verify true] [--timeout 2m]
             [--data DIR] [--meter-url http://127.0.0.1:9467]

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

      modes:
        the meter is stopped   the import opens --data and writes it directly
        the meter is running   the import asks the meter's admin endpoint (--meter-url, default
                               http://127.0.0.1:9467) to do it; files named must be readable by the
                               meter (run it in the meter's container: kubectl exec … -c meter)

      Exit status 0 when every hour was imported or already had a source, 1 when some failed.
      """;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What to import; the same fields arrive as flags or as the admin endpoint's JSON.
   *
   * @param openmetrics a file path, or null
   * @param prometheusUrl a query API, or null
   */
  public record Request(
      String openmetrics,
      String prometheusUrl,
      String start,
      String end,
      String bearerTokenFile,
      String basicAuthFile,
      String caFile,
      boolean insecureSkipVerify,
      String timeout) {

    static Request of(Map<String, String> flags) {
      String file = flags.get("openmetrics");
      return new Request(
          file == null ? null : Path.of(file).toAbsolutePath().toString(),
          flags.get("prometheus-url"),
          flags.get("start"),
          flags.get("end"),
          absolute(flags.getOrDefault("bearer-token-file", "")),
          absolute(flags.getOrDefault("basic-auth-file", "")),
          absolute(flags.getOrDefault("ca-file", "")),
          Boolean.parseBoolean(flags.getOrDefault("insecure-skip-verify", "false")),
          flags.getOrDefault("timeout", "2m"));
    }

    private static String absolute(String path) {
      return path.isBlank() ? "" : Path.of(path).toAbsolutePath().toString();
    }

    /** Checks the request, naming the flag at fault. */
    Request validate() {
      if ((openmetrics == null) == (prometheusUrl == null)) {
        throw new ConfigException("import needs one of --openmetrics FILE or --prometheus-url URL");
      }
      if (openmetrics != null && !Files.isReadable(Path.of(openmetrics))) {
        throw new ConfigException("flag --openmetrics: cannot read " + openmetrics);
      }
      if (prometheusUrl != null) {
        if (start == null || end == null) {
          throw new ConfigException("--prometheus-url needs --start and --end");
        }
        if (!instant("start", start).isBefore(instant("end", end))) {
          throw new ConfigException("flag --start: must be before --end");
        }
        endpoint();
      }
      return this;
    }

    PrometheusApi.Endpoint endpoint() {
      Duration t = Durations.parse("--timeout", timeout);
      try {
        return PrometheusApi.endpoint(
            prometheusUrl, bearerTokenFile, basicAuthFile, caFile, insecureSkipVerify, t);
      } catch (IllegalArgumentException e) {
        throw new ConfigException("flag --prometheus-url: " + e.getMessage());
      }
    }

    static Instant instant(String flag, String value) {
      try {
        return value.length() == 10
            ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant()
            : Instant.parse(value);
      } catch (DateTimeParseException e) {
        throw new ConfigException(
            "flag --"
                + flag
                + ": '"
                + value
                + "' is not RFC 3339 (2026-10-01T00:00:00Z) or a date");
      }
    }
  }

  private ImportCommand() {}

  /** Runs the import here or at the running meter; returns the exit status. */
  public static int run(ChargebackConfig c, Map<String, String> flags, PrintStream out) {
    Request request = Request.of(flags).validate();
    RocksKeyValueStore kv = MeterAdmin.openUnlessRunning(Path.of(c.data()));
    if (kv == null) {
      return MeterAdmin.forward(
          flags.getOrDefault("meter-url", MeterAdmin.DEFAULT_URL), "/admin/import", request, out);
    }
    try (RollupStore store = new RollupStore(kv, new BillingCalendar(c.billing().zone()))) {
      // Buckets already past retention are not written (the meter would expire them at once).
      store.retain(Writer.retention(c), java.time.InstantSource.system());
      ImportReport report = run(store, c, request);
      out.print(report.summary());
      return report.failed().isEmpty() ? 0 : 1;
    }
  }

  /** Imports into an open store (the CLI's, or the running meter's). */
  static ImportReport run(RollupStore store, ChargebackConfig c, Request request) {
    CostAccrual accrual =
        new CostAccrual(Roles.priceBook(c), new BillingCalendar(c.billing().zone()));
    if (request.openmetrics() != null) {
      try (InputStream in = Files.newInputStream(Path.of(request.openmetrics()))) {
        return new OpenMetricsImport(store, c.effectiveMaxGap(), accrual, Writer.limits(c))
            .run(new java.io.BufferedInputStream(in, 1 << 16));
      } catch (ExpositionException e) {
        throw new ConfigException(
            "flag --openmetrics: " + request.openmetrics() + ": " + e.getMessage());
      } catch (IOException e) {
        throw new ConfigException("flag --openmetrics: cannot read: " + e.getMessage());
      }
    }
    try (PrometheusApi api = new PrometheusApi(request.endpoint())) {
      return new PrometheusImport(store, api, accrual, 3)
          .run(
              Request.instant("start", request.start()).toEpochMilli(),
              Request.instant("end", request.end()).toEpochMilli());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("import interrupted");
    }
  }

  /** The meter's admin endpoint: {@code POST /admin/import} with a {@link Request} as JSON. */
  static void routes(io.javalin.config.JavalinConfig cfg, RollupStore store, ChargebackConfig c) {
    cfg.routes.post(
        "/admin/import",
        ctx -> {
          Request request;
          try {
            request = JSON.readValue(ctx.body(), Request.class).validate();
          } catch (IOException e) {
            dev.chargeback.exporter.http.HttpApi.error(
                ctx, 400, "bad import request", e.getMessage());
            return;
          } catch (ConfigException e) {
            dev.chargeback.exporter.http.HttpApi.error(
                ctx, 400, "bad import request", e.getMessage());
            return;
          }
          try {
            ImportReport report = run(store, c, request);
            ctx.status(report.failed().isEmpty() ? 200 : 207)
                .contentType("text/plain; charset=utf-8")
                .result(report.summary());
          } catch (ConfigException e) {
            dev.chargeback.exporter.http.HttpApi.error(ctx, 400, "import failed", e.getMessage());
          }
        });
  }
}
