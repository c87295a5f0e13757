package dev.chargeback.exporter.admin;

import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.config.Durations;
import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.history.PrometheusApi;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * What to import; the same fields arrive as flags or as the admin endpoint's JSON.
 *
 * @param openmetrics a file path, or null
 * @param prometheusUrl a query API, or null
 * @param source with a query API: {@code cadvisor} (this cluster's series) or {@code chargeback}
 *     (other clusters' chargeback counters); null for {@code cadvisor}
 * @param clusterLabel the label that tells clusters apart (source {@code chargeback}); null for the
 *     config's {@code prometheus.clusterLabel}
 */
public record ImportRequest(
    String openmetrics,
    String prometheusUrl,
    String start,
    String end,
    String bearerTokenFile,
    String basicAuthFile,
    String caFile,
    boolean insecureSkipVerify,
    String timeout,
    String source,
    String clusterLabel) {

  public static ImportRequest of(Map<String, String> flags) {
    String file = flags.get("openmetrics");
    return new ImportRequest(
        file == null ? null : Path.of(file).toAbsolutePath().toString(),
        flags.get("prometheus-url"),
        flags.get("start"),
        flags.get("end"),
        absolute(flags.getOrDefault("bearer-token-file", "")),
        absolute(flags.getOrDefault("basic-auth-file", "")),
        absolute(flags.getOrDefault("ca-file", "")),
        Boolean.parseBoolean(flags.getOrDefault("insecure-skip-verify", "false")),
        flags.getOrDefault("timeout", "2m"),
        flags.get("source"),
        flags.get("cluster-label"));
  }

  private static String absolute(String path) {
    return path.isBlank() ? "" : Path.of(path).toAbsolutePath().toString();
  }

  /** Checks the request, naming the flag at fault. */
  public ImportRequest validate() {
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
    if (source != null
        && !List.of(ChargebackConfig.Prometheus.CADVISOR, ChargebackConfig.Prometheus.CHARGEBACK)
            .contains(source)) {
      throw new ConfigException(
          "flag --source: '" + source + "' is not one of cadvisor, chargeback");
    }
    if (source != null && prometheusUrl == null) {
      throw new ConfigException("flag --source: only with --prometheus-url");
    }
    if (clusterLabel != null && !Labels.isName(clusterLabel)) {
      throw new ConfigException(
          "flag --cluster-label: '" + clusterLabel + "' is not a Prometheus label name");
    }
    return this;
  }

  public PrometheusApi.Endpoint endpoint() {
    Duration t = Durations.parse("--timeout", timeout);
    try {
      return PrometheusApi.endpoint(
          prometheusUrl, bearerTokenFile, basicAuthFile, caFile, insecureSkipVerify, t);
    } catch (IllegalArgumentException e) {
      throw new ConfigException("flag --prometheus-url: " + e.getMessage());
    }
  }

  public static Instant instant(String flag, String value) {
    try {
      return value.length() == 10
          ? LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant()
          : Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new ConfigException(
          "flag --" + flag + ": '" + value + "' is not RFC 3339 (2026-10-01T00:00:00Z) or a date");
    }
  }
}
