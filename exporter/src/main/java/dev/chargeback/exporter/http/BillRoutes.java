package dev.chargeback.exporter.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillArchive;
import dev.chargeback.meter.bill.BillCsv;
import dev.chargeback.meter.bill.BillException;
import dev.chargeback.meter.bill.BillJson;
import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.bill.ClusterBills;
import dev.chargeback.meter.bill.FocusCsv;
import dev.chargeback.meter.bill.MonthClose;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.store.Rollup;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.Granularity;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * {@code GET /bill}, {@code GET /api/v1/namespaces} and {@code GET /api/v1/usage}. Every parameter
 * is validated; bad ones get 400 with {@code {"error": …}}, unknown namespaces 404.
 */
public final class BillRoutes {
  /** A Kubernetes namespace name: a DNS-1123 label. */
  private static final Pattern DNS_1123_LABEL =
      Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_POINTS = 10_000;

  private final RollupStore store;
  private final Biller biller;
  private final BillPdf pdf;

  private final AccessControl access;

  private final ClusterBills clusters;

  /** Routes open to every caller (access control off), the own cluster named "local". */
  public BillRoutes(RollupStore store, Biller biller, BillPdf pdf) {
    this(store, biller, pdf, null, "local");
  }

  /**
   * @param access who may see which namespace; null lets every caller see all
   * @param clusterName the own cluster's name beside other clusters the store holds
   */
  public BillRoutes(
      RollupStore store, Biller biller, BillPdf pdf, AccessControl access, String clusterName) {
    this.store = store;
    this.biller = biller;
    this.pdf = pdf;
    this.access = access;
    this.answers = new Answers(store, biller.clock(), ANSWER_WINDOW, ANSWER_BYTES);
    this.clusters = new ClusterBills(store, biller, clusterName);
  }

  /**
   * The cluster asked for ({@code cluster}), or null for all; one the store does not hold is not
   * found.
   */
  private String cluster(Context ctx) {
    String cluster = ctx.queryParam("cluster");
    if (cluster == null) {
      return null;
    }
    if (cluster.isEmpty() || cluster.length() > 255) {
      throw new BadParameter("parameter cluster must be a cluster's name");
    }
    if (!clusters.clusters().contains(cluster)) {
      throw new BillException(BillException.Kind.NOT_FOUND, "no cluster named " + cluster);
    }
    return cluster;
  }

  /** The billers of the clusters asked for: one, or each the store holds. */
  private List<String> clustersAsked(String cluster) {
    return cluster != null ? List.of(cluster) : clusters.clusters();
  }

  /**
   * How long (on the bills' clock) a bill's answer is reused while the store stays where it was:
   * its coverage and period run to now, and 15 s of them do not show at the printed precision.
   */
  static final Duration ANSWER_WINDOW = Duration.ofSeconds(15);

  /** Rendered bills kept at most (a PDF is about 60 KB). */
  static final long ANSWER_BYTES = 32L << 20;

  private final Answers answers;

  /** The namespace asked for, once the caller may see it. */
  private String allowedNamespace(Context ctx) {
    String ns = namespace(ctx);
    if (access != null) {
      access.require(ctx, ns);
    }
    return ns;
  }

  /** The namespaces the caller may see, of those metered. */
  private List<String> visibleNamespaces(Context ctx) {
    return AccessControl.visible(access, ctx, clusters.namespaces());
  }

  public void register(JavalinConfig cfg) {
    cfg.routes.get("/bill", this::bill);
    cfg.routes.get("/bills", this::bills);
    cfg.routes.get("/api/v1/focus", this::focus);
    cfg.routes.get("/api/v1/namespaces", this::namespaces);
    cfg.routes.get("/api/v1/usage", this::usage);
    cfg.routes.get("/api/v1/usage/namespaces", this::usageByNamespace);
  }

  /** Thrown for a bad query parameter; answered with 400. */
  public static final class BadParameter extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadParameter(String message) {
      super(message);
    }
  }

  /** Turns request and bill errors into JSON answers. */
  public static void errors(JavalinConfig cfg) {
    cfg.routes.exception(
        BadParameter.class, (e, ctx) -> HttpApi.error(ctx, 400, e.getMessage(), null));
    cfg.routes.exception(
        AccessControl.Refused.class,
        (e, ctx) -> {
          if (e.status == 401) {
            ctx.header("WWW-Authenticate", "Bearer");
          }
          HttpApi.error(ctx, e.status, e.getMessage(), null);
        });
    cfg.routes.exception(
        BillException.class,
        (e, ctx) ->
            HttpApi.error(
                ctx, e.kind() == BillException.Kind.NOT_FOUND ? 404 : 400, e.getMessage(), null));
  }

  static String namespace(Context ctx) {
    return namespace(ctx.queryParam("ns"), "parameter ns");
  }

  /** A namespace name given as {@code what}, checked; 400 otherwise. */
  public static String namespace(String ns, String what) {
    if (ns == null || ns.isEmpty()) {
      throw new BadParameter("missing " + what + " (a namespace name)");
    }
    if (!ns.equals(Biller.IDLE) && !DNS_1123_LABEL.matcher(ns).matches()) {
      throw new BadParameter(
          what + " is not a namespace name (DNS-1123 label: a-z, 0-9, '-', at most 63)");
    }
    return ns;
  }

  private YearMonth month(Context ctx) {
    return month(ctx, biller);
  }

  /** The month asked for ({@code month=YYYY-MM}), else the current one; 400 when malformed. */
  public static YearMonth month(Context ctx, Biller biller) {
    String month = ctx.queryParam("month");
    if (month == null || month.isEmpty()) {
      return biller.currentMonth();
    }
    if (!month.matches("\\d{4}-\\d{2}")) {
      throw new BadParameter("parameter month must be YYYY-MM");
    }
    try {
      return YearMonth.parse(month);
    } catch (DateTimeParseException e) {
      throw new BadParameter("parameter month must be YYYY-MM");
    }
  }

  private void bill(Context ctx) {
    String ns = allowedNamespace(ctx);
    YearMonth month = month(ctx);
    String format = ctx.queryParam("format") == null ? "pdf" : ctx.queryParam("format");
    if (!List.of("pdf", "json", "csv").contains(format)) {
      throw new BadParameter("parameter format must be pdf, json or csv");
    }
    store.catchUp();
    String cluster = cluster(ctx);
    // A closed month's bill is final: rendered once, served as long as it is kept.
    Answers.Answer answer =
        answers.get(
            "bill\n" + ns + "\n" + month + "\n" + format + "\n" + cluster,
            MonthClose.isClosed(store, month),
            () -> {
              Bill bill =
                  cluster == null ? clusters.bill(ns, month) : clusters.bill(ns, month, cluster);
              return switch (format) {
                case "json" -> new Answers.Answer(BillJson.render(bill), "application/json");
                case "csv" -> new Answers.Answer(BillCsv.render(bill), "text/csv; charset=utf-8");
                default -> new Answers.Answer(pdf.render(bill), "application/pdf");
              };
            });
    if (!format.equals("json")) {
      ctx.header(
          "Content-Disposition",
          "attachment; filename=\"bill-" + ns + "-" + month + "." + format + "\"");
    }
    ctx.contentType(answer.contentType()).result(answer.body());
  }

  /** Every namespace's bill the caller may read: one CSV sheet, or a zip with every PDF too. */
  private void bills(Context ctx) throws IOException {
    YearMonth month = month(ctx);
    String format = ctx.queryParam("format") == null ? "csv" : ctx.queryParam("format");
    if (!List.of("csv", "zip").contains(format)) {
      throw new BadParameter("parameter format must be csv or zip");
    }
    store.catchUp();
    List<Bill> bills = bills(month, visibleNamespaces(ctx), cluster(ctx));
    ctx.header(
        "Content-Disposition", "attachment; filename=\"bills-" + month + "." + format + "\"");
    if (format.equals("csv")) {
      ctx.contentType("text/csv; charset=utf-8").result(BillCsv.render(bills));
    } else {
      ctx.contentType("application/zip");
      BillArchive.write(bills, pdf, store.calendar(), month.toString(), ctx.outputStream());
    }
  }

  /** The FOCUS dataset of a month: one namespace ({@code ns}) or all the caller may read. */
  private void focus(Context ctx) {
    YearMonth month = month(ctx);
    List<String> namespaces =
        ctx.queryParam("ns") == null ? visibleNamespaces(ctx) : List.of(allowedNamespace(ctx));
    store.catchUp();
    String cluster = cluster(ctx);
    List<Bill> bills = new ArrayList<>();
    List<String> of = new ArrayList<>();
    if (cluster == null && !clusters.central()) {
      bills.addAll(biller.bills(month, namespaces));
    } else {
      // Each cluster's bills as they are: a namespace's invoice is the sum of its clusters' rows.
      for (String c : clustersAsked(cluster)) {
        for (Bill b : clusters.biller(c).bills(month, namespaces)) {
          bills.add(b);
          of.add(c);
        }
      }
    }
    ctx.contentType("text/csv; charset=utf-8")
        .header("Content-Disposition", "attachment; filename=\"focus-" + month + ".csv\"")
        .result(FocusCsv.render(bills, of, store.calendar(), pdf.issuer()));
  }

  private void namespaces(Context ctx) throws Exception {
    YearMonth month = month(ctx);
    store.catchUp();
    ObjectNode root = JSON.createObjectNode();
    root.put("month", month.toString());
    root.put("currency", biller.priceBook().currency().getCurrencyCode());
    ArrayNode list = root.putArray("namespaces");
    String cluster = cluster(ctx);
    List<Bill> bills;
    try {
      // Namespaces not metered in that month have no bill and are not listed.
      bills = bills(month, visibleNamespaces(ctx), cluster);
    } catch (BillException e) {
      bills = List.of(); // a month that has not begun
    }
    for (Bill bill : bills) {
      ObjectNode entry =
          list.addObject()
              .put("namespace", bill.namespace())
              .put("subtotal", bill.subtotal().toPlainString())
              .put("total", bill.total().toPlainString())
              .put("preliminary", bill.preliminary());
      if (!bill.clusters().isEmpty()) {
        ObjectNode byCluster = entry.putObject("clusters");
        bill.clusters().forEach((c, subtotal) -> byCluster.put(c, subtotal.toPlainString()));
      }
    }
    ctx.contentType("application/json").result(JSON.writeValueAsBytes(root));
  }

  /**
   * The month's bills of {@code namespaces}: of one cluster, of the own cluster alone when the
   * store holds no other, else summed over the clusters each namespace ran in.
   */
  private List<Bill> bills(YearMonth month, List<String> namespaces, String cluster) {
    if (cluster != null) {
      return clusters.biller(cluster).bills(month, namespaces);
    }
    if (!clusters.central()) {
      return biller.bills(month, namespaces);
    }
    List<Bill> out = new ArrayList<>();
    for (String ns : namespaces) {
      try {
        out.add(clusters.bill(ns, month));
      } catch (BillException e) {
        if (e.kind() != BillException.Kind.NOT_FOUND) {
          throw e;
        }
      }
    }
    return out;
  }

  /**
   * A month's usage of every namespace, per resource, in the metered units (core-seconds,
   * byte-seconds, bytes): {@code {"month", "namespaces": {NS: {"cpu": …, "memory": …}}}}.
   */
  private void usageByNamespace(Context ctx) throws Exception {
    YearMonth month = month(ctx);
    store.catchUp();
    long[] range = store.calendar().month(month);
    List<RollupKey> keys = new ArrayList<>();
    for (String ns : visibleNamespaces(ctx)) {
      for (Resource r : Resource.METERED) {
        keys.add(new RollupKey(Scope.NAMESPACE, ns, "", r));
      }
    }
    Map<RollupKey, Double> sums = new HashMap<>();
    for (String c : clustersAsked(cluster(ctx))) {
      clusters
          .store(c)
          .sums(Granularity.DAY, keys, range[0], range[1])
          .forEach((k, v) -> sums.merge(k, v, Double::sum));
    }
    ObjectNode root = JSON.createObjectNode();
    root.put("month", month.toString());
    ObjectNode byNamespace = root.putObject("namespaces");
    for (RollupKey k : keys) {
      double v = sums.getOrDefault(k, 0.0);
      if (v != 0) {
        ObjectNode ns =
            byNamespace.has(k.owner())
                ? (ObjectNode) byNamespace.get(k.owner())
                : byNamespace.putObject(k.owner());
        ns.put(k.resource().label, v);
      }
    }
    ctx.contentType("application/json").result(JSON.writeValueAsBytes(root));
  }

  private void usage(Context ctx) throws Exception {
    String ns = allowedNamespace(ctx);
    String step = ctx.queryParam("step") == null ? "1h" : ctx.queryParam("step");
    Granularity g =
        switch (step) {
          case "5m" -> Granularity.FIVE_MINUTES;
          case "1h" -> Granularity.HOUR;
          case "1d" -> Granularity.DAY;
          default -> throw new BadParameter("parameter step must be 5m, 1h or 1d");
        };
    long now = biller.now().getEpochSecond();
    long to = time(ctx.queryParam("to"), "to", now);
    long from = time(ctx.queryParam("from"), "from", to - 86400);
    if (from >= to) {
      throw new BadParameter("parameter from must be before to");
    }
    if ((to - from) / g.seconds > MAX_POINTS) {
      throw new BadParameter(
          "too many points: at most " + MAX_POINTS + " steps of " + step + " per request");
    }
    store.catchUp();
    ObjectNode root = JSON.createObjectNode();
    root.put("namespace", ns);
    root.put("step", step);
    root.put("from", Instant.ofEpochSecond(from).toString());
    root.put("to", Instant.ofEpochSecond(to).toString());
    ObjectNode series = root.putObject("series");
    List<String> asked = clustersAsked(cluster(ctx));
    for (Resource r : Resource.METERED) {
      // Each bucket summed over the clusters asked for.
      TreeMap<Long, Double> points = new TreeMap<>();
      for (String c : asked) {
        for (Rollup p : clusters.store(c).rollups(g, RollupKey.namespace(ns, r), from, to)) {
          points.merge(p.bucketStart(), p.sum(), Double::sum);
        }
      }
      if (points.isEmpty()) {
        continue;
      }
      ObjectNode s = series.putObject(r.label);
      s.put("unit", r.unit);
      ArrayNode values = s.putArray("values");
      points.forEach(
          (bucket, sum) ->
              values.addArray().add(Instant.ofEpochSecond(bucket).toString()).add(sum));
    }
    ctx.contentType("application/json").result(JSON.writeValueAsBytes(root));
  }

  /** An RFC 3339 instant or a date (local midnight in the billing zone). */
  private long time(String value, String name, long fallback) {
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      if (value.length() == 10) {
        return store.calendar().startOf(LocalDate.parse(value));
      }
      return Instant.parse(value).getEpochSecond();
    } catch (DateTimeParseException e) {
      throw new BadParameter(
          "parameter " + name + " must be a date (YYYY-MM-DD) or an RFC 3339 time");
    }
  }
}
