package dev.chargeback.exporter.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.exporter.metrics.MetricsPage;
import dev.chargeback.meter.config.ListenAddress;
import dev.chargeback.meter.store.RollupStore;
import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server: {@code /healthz}, {@code /readyz}, {@code /metrics} and whatever a role adds
 * (the web pages, bills). Errors are JSON ({@code {"error": …, "detail": …}}); a stack trace never
 * reaches a client.
 */
public final class HttpApi {
  private static final Logger LOG = LoggerFactory.getLogger(HttpApi.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpApi() {}

  /**
   * Starts a server on {@code listen} ({@code HOST:PORT}; port 0 picks a free one).
   *
   * @param store the store answers are read from: caught up before answering, its sequence keys the
   *     reused answers; needed with {@code metrics}, else may be null (the meter's own port)
   * @param metrics what /metrics serves, or null for no /metrics
   * @param ready what /readyz reports
   * @param extra more routes
   */
  public static Javalin start(
      String listen,
      RollupStore store,
      MetricsPage metrics,
      Supplier<Readiness> ready,
      Consumer<JavalinConfig> extra) {
    return serve(
        listen,
        cfg -> {
          cfg.routes.get("/healthz", ctx -> ctx.result("ok\n"));
          cfg.routes.get(
              "/readyz",
              ctx -> {
                Readiness readiness = ready.get();
                ctx.status(readiness.isReady() ? 200 : 503)
                    .contentType("text/plain; charset=utf-8")
                    .result(readiness.body());
              });
          if (metrics != null) {
            // Scrapes in the same second of a store that has not moved on get the same bytes:
            // Prometheus replicas, dashboards and load alike; while a new page is made, the page
            // before it.
            Answers answers =
                new Answers(
                    Objects.requireNonNull(store, "/metrics is answered from a store"),
                    InstantSource.system(),
                    Duration.ofSeconds(1),
                    16L << 20);
            cfg.routes.get(
                "/metrics",
                ctx -> {
                  ExpositionFormatWriter writer = metrics.writer(ctx.header("Accept"));
                  // Compressed once per answer, by the page (the web server would compress every
                  // response again, at a slower level).
                  boolean gzip = acceptsGzip(ctx.header("Accept-Encoding"));
                  store.catchUp();
                  Answers.Answer answer =
                      answers.getOrPrevious(
                          "metrics\n" + writer.getContentType() + (gzip ? "\ngzip" : ""),
                          () ->
                              new Answers.Answer(
                                  metrics.render(writer, gzip), writer.getContentType()));
                  ctx.header("Vary", "Accept-Encoding");
                  if (gzip) {
                    ctx.header("Content-Encoding", "gzip");
                  }
                  ctx.contentType(answer.contentType()).result(answer.body());
                });
          }
          extra.accept(cfg);
        });
  }

  /**
   * Whether an {@code Accept-Encoding} header allows gzip: named (or {@code x-gzip}) with a weight
   * above 0, or not named and allowed by {@code *}.
   */
  static boolean acceptsGzip(String header) {
    if (header == null) {
      return false;
    }
    Double named = null;
    double any = 0;
    for (String coding : header.split(",")) {
      String[] parts = coding.split(";");
      String name = parts[0].strip();
      double q = 1;
      for (int i = 1; i < parts.length; i++) {
        String param = parts[i].strip();
        if (param.length() > 1 && param.regionMatches(true, 0, "q=", 0, 2)) {
          try {
            q = Double.parseDouble(param.substring(2).strip());
          } catch (NumberFormatException e) {
            q = 0;
          }
        }
      }
      if (name.equalsIgnoreCase("gzip") || name.equalsIgnoreCase("x-gzip")) {
        named = Math.max(named == null ? 0 : named, q);
      } else if (name.equals("*")) {
        any = q;
      }
    }
    return named != null ? named > 0 : any > 0;
  }

  /**
   * Starts a server with only {@code routes} on {@code listen}: virtual threads, bounded request
   * bodies, and errors as JSON that never carry a stack trace or an exception's class (those go to
   * the log).
   */
  public static Javalin serve(String listen, Consumer<JavalinConfig> routes) {
    Javalin app =
        Javalin.create(
            cfg -> {
              cfg.startup.showJavalinBanner = false;
              cfg.concurrency.useVirtualThreads = true;
              cfg.http.maxRequestSize = 64 * 1024;
              cfg.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
                    error(ctx, 500, "internal error", "the server log has the details");
                  });
              cfg.routes.error(
                  404,
                  ctx -> {
                    // Keep a handler's own JSON 404 (e.g. an unknown namespace).
                    String type = ctx.res().getContentType();
                    if (type == null || !type.startsWith("application/json")) {
                      error(ctx, 404, "not found", ctx.path());
                    }
                  });
              routes.accept(cfg);
            });
    ListenAddress address = ListenAddress.parse("listen", listen);
    app.start(address.host(), address.port());
    return app;
  }

  /** Answers with a JSON error body. */
  public static void error(Context ctx, int status, String error, String detail) {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("error", error);
    if (detail != null) {
      body.put("detail", detail);
    }
    try {
      ctx.status(status).contentType("application/json").result(JSON.writeValueAsString(body));
    } catch (JsonProcessingException e) {
      ctx.status(status).result(error);
    }
  }
}
