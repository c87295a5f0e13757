package dev.chargeback.exporter.admin;

import dev.chargeback.exporter.http.HttpApi;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.config.Durations;
import dev.chargeback.meter.config.ListenAddress;
import dev.chargeback.meter.history.ImportReport;
import io.javalin.Javalin;
import io.javalin.http.Context;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer's admin endpoints, on a loopback address only ({@code admin.listen}): a request names
 * files and URLs (and the meter sends credentials there), so it must come from the meter's own pod
 * ({@code kubectl exec … -c meter -- chargeback import …}).
 *
 * <ul>
 *   <li>{@code POST /admin/import} {@code {"openmetrics": FILE}} or {@code {"prometheusUrl": URL,
 *       "start": T, "end": T, ["bearerTokenFile" | "basicAuthFile"], ["caFile"],
 *       ["insecureSkipVerify"], ["timeout"], ["source"], ["clusterLabel"]}}: 200 with the report,
 *       207 when some hours failed.
 *   <li>{@code POST /admin/backup} {@code {"to": DIR}}: a checkpoint into a new directory.
 * </ul>
 *
 * Every file named must lie in {@code admin.directories} (403 otherwise); a missing or malformed
 * field is a 400 naming it.
 */
public final class AdminServer {
  private static final Logger LOG = LoggerFactory.getLogger(AdminServer.class);

  private static final Set<String> IMPORT_FIELDS =
      Set.of(
          "openmetrics",
          "prometheusUrl",
          "start",
          "end",
          "bearerTokenFile",
          "basicAuthFile",
          "caFile",
          "insecureSkipVerify",
          "timeout",
          "source",
          "clusterLabel");

  /** Runs a validated import on the writer's store. */
  @FunctionalInterface
  public interface Importer {
    ImportReport run(ImportRequest request);
  }

  /** Takes a checkpoint into a new directory; returns what to tell the caller. */
  @FunctionalInterface
  public interface Backup {
    String to(Path directory);
  }

  private AdminServer() {}

  /**
   * Starts the admin endpoints on {@code listen}, which must be a loopback address.
   *
   * @param directories the only directories whose files requests may name
   */
  public static Javalin start(
      String listen, List<String> directories, Importer importer, Backup backup) {
    ListenAddress address = ListenAddress.parse("admin.listen", listen);
    if (!address.loopback()) {
      throw new ConfigException(
          "config key 'admin.listen': " + listen + " is not a loopback address");
    }
    AdminPaths paths = new AdminPaths(directories);
    Javalin app =
        HttpApi.serve(
            listen,
            cfg -> {
              cfg.routes.post(
                  "/admin/import",
                  ctx ->
                      answer(
                          ctx,
                          () -> {
                            ImportReport report = importer.run(importRequest(ctx.body(), paths));
                            ctx.status(report.failed().isEmpty() ? 200 : 207)
                                .contentType("text/plain; charset=utf-8")
                                .result(report.summary());
                          }));
              cfg.routes.post(
                  "/admin/backup",
                  ctx ->
                      answer(
                          ctx,
                          () -> {
                            AdminFields f = AdminFields.parse(ctx.body(), Set.of("to"));
                            Path to = paths.newPath("to", f.requiredString("to"));
                            ctx.contentType("text/plain; charset=utf-8").result(backup.to(to));
                          }));
            });
    LOG.info("admin endpoints (import, backup) on http://{}:{}", address.host(), app.port());
    return app;
  }

  /** Runs {@code work}, turning refusals into JSON errors that name the field. */
  private static void answer(Context ctx, Runnable work) {
    try {
      work.run();
    } catch (AdminRequestException e) {
      HttpApi.error(ctx, e.status(), "bad admin request", e.getMessage());
    } catch (ConfigException e) {
      HttpApi.error(ctx, 400, "bad admin request", e.getMessage());
    }
  }

  static ImportRequest importRequest(String body, AdminPaths paths) {
    AdminFields f = AdminFields.parse(body, IMPORT_FIELDS);
    String openmetrics = f.optionalString("openmetrics");
    String url = f.optionalString("prometheusUrl");
    if ((openmetrics == null) == (url == null)) {
      throw AdminRequestException.badField(
          openmetrics == null ? "openmetrics" : "prometheusUrl",
          "give exactly one of 'openmetrics' (a file) or 'prometheusUrl' (a query API)");
    }
    String start = null;
    String end = null;
    if (url != null) {
      start = f.requiredString("start");
      end = f.requiredString("end");
      for (String[] t : new String[][] {{"start", start}, {"end", end}}) {
        try {
          ImportRequest.instant(t[0], t[1]);
        } catch (ConfigException e) {
          throw AdminRequestException.badField(
              t[0], "not RFC 3339 (2026-10-01T00:00:00Z) or a date");
        }
      }
      if (!url.startsWith("http://") && !url.startsWith("https://")) {
        throw AdminRequestException.badField("prometheusUrl", "not an http(s) URL");
      }
    }
    String timeout = f.optionalString("timeout");
    if (timeout != null) {
      try {
        Durations.parse("timeout", timeout);
      } catch (ConfigException e) {
        throw AdminRequestException.badField("timeout", "not a duration (e.g. 30s, 2m)");
      }
    }
    ImportRequest request =
        new ImportRequest(
            openmetrics == null ? null : paths.existingFile("openmetrics", openmetrics).toString(),
            url,
            start,
            end,
            file(f, "bearerTokenFile", paths),
            file(f, "basicAuthFile", paths),
            file(f, "caFile", paths),
            f.bool("insecureSkipVerify", false),
            timeout == null ? "2m" : timeout,
            f.optionalString("source"),
            f.optionalString("clusterLabel"));
    return request.validate();
  }

  private static String file(AdminFields f, String field, AdminPaths paths) {
    String value = f.optionalString(field);
    return value == null ? "" : paths.existingFile(field, value).toString();
  }
}
