package dev.chargeback.meter.config;

import dev.chargeback.meter.exposition.LabelSelector;
import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.history.PrometheusApi;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * Every setting, with the key names used in YAML, environment and flags.
 *
 * @param data RocksDB directory ({@code --data})
 * @param listen HTTP {@code HOST:PORT}; empty for the role's default (:9466, the meter :9467)
 * @param scrapeInterval time between scrapes of a target
 * @param scrapeTimeout a scrape's whole deadline, headers and body
 * @param maxGap gauges are not integrated across longer gaps (default 5 × scrapeInterval)
 * @param targets static targets, {@code ROLE=URL}
 * @param prices price book file (YAML); empty for the built-in book
 * @param bill how PDF bills look
 * @param kubernetes discovery from the Kubernetes API
 * @param kubelet how kubelets are reached
 * @param nodeExporter how node-exporter pods are found
 * @param dcgm how NVIDIA dcgm-exporter pods are found
 * @param kubeStateMetrics where kube-state-metrics is
 * @param delivery where final bills go when a month closes
 * @param clusterName the name this chargeback's own cluster goes by on bills of several clusters (a
 *     central chargeback's, beside the clusters it imports)
 */
public record ChargebackConfig(
    String data,
    String listen,
    Duration scrapeInterval,
    Duration scrapeTimeout,
    Duration maxGap,
    List<String> targets,
    Billing billing,
    Retention retention,
    Limits limits,
    String prices,
    Bill bill,
    Kubernetes kubernetes,
    Kubelet kubelet,
    ExporterPods nodeExporter,
    ExporterPods dcgm,
    KubeStateMetrics kubeStateMetrics,
    Prometheus prometheus,
    Access access,
    Admin admin,
    Tls tls,
    Delivery delivery,
    String clusterName) {

  /**
   * Final bills delivered once per namespace, month and channel when a month closes.
   *
   * @param channels any of {@code email}, {@code webhook}, {@code log}
   * @param from the e-mails' sender
   * @param attachCsv attach the bill's CSV to e-mails beside the PDF
   * @param maxAttempts sends tried per bill and channel before it is listed as failed
   * @param retryAfter the wait after a first failure, doubled after each further one
   */
  public record Delivery(
      List<String> channels,
      String from,
      Smtp smtp,
      Webhook webhook,
      boolean attachCsv,
      int maxAttempts,
      Duration retryAfter) {}

  /**
   * @param passwordFile a file holding the SMTP password (a mounted Secret), never the password
   * @param startTls require STARTTLS before authenticating
   */
  public record Smtp(
      String host, int port, String username, String passwordFile, boolean startTls) {}

  /**
   * @param url where each final bill is POSTed (HTTPS)
   * @param secretFile a file holding the HMAC-SHA256 key that signs each request
   */
  public record Webhook(String url, String secretFile) {}

  /**
   * The meter's admin endpoints (import, backup).
   *
   * @param listen loopback {@code HOST:PORT}; empty for 127.0.0.1 and the port after {@code listen}
   * @param directories the only directories whose files admin requests may name
   */
  public record Admin(String listen, List<String> directories) {}

  /**
   * HTTPS for the bill and metrics listener from a mounted certificate (a Kubernetes TLS secret).
   *
   * @param certFile PEM certificate chain; empty for plain HTTP
   * @param keyFile PEM PKCS#8 private key
   */
  public record Tls(String certFile, String keyFile) {}

  /**
   * Who may read bills and usage (off by default; on in the Helm chart).
   *
   * @param verb with {@code resource}: a caller sees a namespace if Kubernetes allows it this
   * @param cacheTtl how long token and access decisions are reused
   * @param tokenHeader a header an authenticating proxy in front sets to the caller's token (e.g.
   *     oauth2-proxy's {@code X-Forwarded-Access-Token}), read when there is no Authorization
   *     header; empty for none
   * @param signIn whether the web pages offer a sign-in form that takes a token into a cookie
   */
  public record Access(
      boolean enabled,
      String verb,
      String resource,
      Duration cacheTtl,
      String tokenHeader,
      boolean signIn) {}

  /**
   * The {@code prometheus} source: usage read hour by hour from a Prometheus-compatible query API
   * (for clusters too large to scrape from one process).
   *
   * @param url the engine's base URL (e.g. Thanos querier); empty for none
   * @param lookback how far back missing hours are filled
   * @param delay how long after an hour closes it is read (late samples)
   * @param maxAnswerBytes a longer answer fails its hours (answers are streamed, not held)
   * @param source what is read: {@code cadvisor} (the cluster's cAdvisor, kube-state-metrics and
   *     node-exporter series) or {@code chargeback} (other clusters' chargeback counters, per
   *     cluster, for a central chargeback)
   * @param clusterLabel the label the engine tells clusters apart by (source {@code chargeback})
   */
  public record Prometheus(
      String url,
      String bearerTokenFile,
      String basicAuthFile,
      String caFile,
      boolean insecureSkipVerify,
      Duration timeout,
      Duration lookback,
      Duration delay,
      long maxAnswerBytes,
      String source,
      String clusterLabel) {
    /** The source that reads other clusters' chargeback counters. */
    public static final String CHARGEBACK = "chargeback";

    public static final String CADVISOR = "cadvisor";
  }

  /**
   * @param discovery {@code auto} (on in a cluster or with a kubeconfig), {@code on} or {@code off}
   * @param kubeconfig kubeconfig file; empty for {@code KUBECONFIG}, {@code ~/.kube/config}, or the
   *     pod's service account
   * @param namespaceLabels namespace label keys kept with the usage and printed on bills
   */
  public record Kubernetes(String discovery, String kubeconfig, List<String> namespaceLabels) {}

  /**
   * @param viaApiServerProxy scrape cAdvisor through the API server's node proxy (needs {@code
   *     nodes/proxy}) instead of each kubelet's port 10250
   * @param insecureSkipVerify accept the kubelets' (usually self-signed) serving certificates
   * @param caFile CA bundle that signed the kubelets' serving certificates; empty for the service
   *     account's CA in a cluster
   * @param tokenFile bearer token for kubelets; empty for the service account's token in a cluster,
   *     or the kubeconfig's
   */
  public record Kubelet(
      boolean viaApiServerProxy, boolean insecureSkipVerify, String caFile, String tokenFile) {}

  /**
   * How one exporter per node is found among the pods (node-exporter, dcgm-exporter).
   *
   * @param selector label selector of its pods; empty: none is looked for
   * @param port its port when its pod names no container port {@code metrics}
   */
  public record ExporterPods(String selector, int port) {}

  /**
   * @param url kube-state-metrics' metrics URL; empty for none
   */
  public record KubeStateMetrics(String url) {}

  /**
   * @param timeZone billing periods are calendar months in this zone, fixed at first start
   * @param closeAfter how long after its end a month closes (its bills become final)
   */
  public record Billing(String timeZone, Duration closeAfter) {
    public ZoneId zone() {
      try {
        return ZoneId.of(timeZone);
      } catch (DateTimeException e) {
        throw new ConfigException(
            "config key 'billing.timeZone': unknown time zone '" + timeZone + "'");
      }
    }
  }

  /** How long each granularity's buckets are kept. */
  public record Retention(Duration fiveMinute, Duration hourly, Duration daily) {}

  /**
   * How bills look.
   *
   * @param font TrueType font file; empty for Debian's Nanum Gothic
   * @param boldFont bold TrueType font file; empty for Nanum Gothic Bold
   * @param organisation printed above the title
   * @param logo PNG or JPEG printed top right; empty for none
   */
  public record Bill(String font, String boldFont, String organisation, String logo) {}

  /** Parser bounds per scrape. */
  public record Limits(int maxLineBytes, int maxLabels, long maxBodyBytes) {}

  /** This configuration with {@code delivery} in place of its own. */
  public ChargebackConfig withDelivery(Delivery d) {
    return with(prices, d);
  }

  /** This configuration with the price book at {@code file} in place of its own. */
  public ChargebackConfig withPrices(String file) {
    return with(file, delivery);
  }

  private ChargebackConfig with(String priceBook, Delivery d) {
    return new ChargebackConfig(
        data,
        listen,
        scrapeInterval,
        scrapeTimeout,
        maxGap,
        targets,
        billing,
        retention,
        limits,
        priceBook,
        bill,
        kubernetes,
        kubelet,
        nodeExporter,
        dcgm,
        kubeStateMetrics,
        prometheus,
        access,
        admin,
        tls,
        d,
        clusterName);
  }

  /** maxGap, defaulting to five scrape intervals. */
  public Duration effectiveMaxGap() {
    return maxGap != null ? maxGap : scrapeInterval.multipliedBy(5);
  }

  /** The listen address, or {@code fallback} when none was configured. */
  public String listenOr(String fallback) {
    return listen == null || listen.isBlank() ? fallback : listen;
  }

  /**
   * Where the admin endpoints listen: {@code admin.listen}, or 127.0.0.1 and the port after the
   * role's listen port ({@code fallback} when {@code listen} is not set); port 0 stays 0.
   */
  public String adminListen(String fallback) {
    if (!admin.listen().isBlank()) {
      return admin.listen();
    }
    String main = listenOr(fallback);
    int port = Integer.parseInt(main.substring(main.lastIndexOf(':') + 1));
    return "127.0.0.1:" + (port == 0 ? 0 : port + 1);
  }

  private void validateDelivery() {
    for (String c : delivery.channels()) {
      if (!List.of("email", "webhook", "log").contains(c)) {
        throw new ConfigException(
            "config key 'delivery.channels': '" + c + "' is not email, webhook or log");
      }
    }
    if (delivery.maxAttempts() < 1) {
      throw new ConfigException("config key 'delivery.maxAttempts': must be at least 1");
    }
    requirePositive("delivery.retryAfter", delivery.retryAfter());
    if (delivery.channels().contains("email")) {
      if (delivery.smtp().host().isBlank()) {
        throw new ConfigException("config key 'delivery.smtp.host': needed by channel email");
      }
      if (!delivery.from().contains("@")) {
        throw new ConfigException(
            "config key 'delivery.from': '" + delivery.from() + "' is not an e-mail address");
      }
      if (delivery.smtp().port() < 1 || delivery.smtp().port() > 65535) {
        throw new ConfigException("config key 'delivery.smtp.port': not a port number");
      }
      readable("delivery.smtp.passwordFile", delivery.smtp().passwordFile(), false);
    }
    if (delivery.channels().contains("webhook")) {
      String url = delivery.webhook().url();
      if (!url.startsWith("https://") && !url.startsWith("http://")) {
        throw new ConfigException(
            "config key 'delivery.webhook.url': '" + url + "' is not an http(s) URL");
      }
      readable("delivery.webhook.secretFile", delivery.webhook().secretFile(), true);
    }
  }

  private static void readable(String key, String file, boolean required) {
    if (file.isBlank()) {
      if (required) {
        throw new ConfigException("config key '" + key + "': missing");
      }
      return;
    }
    if (!Files.isReadable(Path.of(file))) {
      throw new ConfigException("config key '" + key + "': cannot read " + file);
    }
  }

  /** Checks values that parse but make no sense, naming the key. */
  public ChargebackConfig validate() {
    requirePositive("scrapeInterval", scrapeInterval);
    requirePositive("scrapeTimeout", scrapeTimeout);
    if (maxGap != null) {
      requirePositive("maxGap", maxGap);
    }
    requirePositive("retention.fiveMinute", retention.fiveMinute());
    requirePositive("retention.hourly", retention.hourly());
    requirePositive("retention.daily", retention.daily());
    billing.zone();
    requirePositive("billing.closeAfter", billing.closeAfter());
    if (limits.maxLineBytes() < 64) {
      throw new ConfigException("config key 'limits.maxLineBytes': must be at least 64");
    }
    if (limits.maxLabels() < 1) {
      throw new ConfigException("config key 'limits.maxLabels': must be at least 1");
    }
    if (limits.maxBodyBytes() < 1) {
      throw new ConfigException("config key 'limits.maxBodyBytes': must be positive");
    }
    for (String[] file :
        new String[][] {
          {"prices", prices},
          {"bill.font", bill.font()},
          {"bill.boldFont", bill.boldFont()},
          {"bill.logo", bill.logo()}
        }) {
      if (file[1] != null && !file[1].isBlank() && !Files.isReadable(Path.of(file[1]))) {
        throw new ConfigException("config key '" + file[0] + "': cannot read " + file[1]);
      }
    }
    validateDelivery();
    if (!List.of("auto", "on", "off").contains(kubernetes.discovery())) {
      throw new ConfigException(
          "config key 'kubernetes.discovery': '"
              + kubernetes.discovery()
              + "' is not auto, on or off");
    }
    for (Map.Entry<String, ExporterPods> e :
        Map.of("nodeExporter", nodeExporter, "dcgm", dcgm).entrySet()) {
      if (e.getValue().port() < 1 || e.getValue().port() > 65535) {
        throw new ConfigException("config key '" + e.getKey() + ".port': not a port number");
      }
      try {
        LabelSelector.parse(e.getValue().selector());
      } catch (IllegalArgumentException x) {
        throw new ConfigException("config key '" + e.getKey() + ".selector': " + x.getMessage());
      }
    }
    String ksm = kubeStateMetrics.url();
    if (!ksm.isBlank() && !ksm.startsWith("http://") && !ksm.startsWith("https://")) {
      throw new ConfigException(
          "config key 'kubeStateMetrics.url': '" + ksm + "' is not an http(s) URL");
    }
    for (String[] file :
        new String[][] {
          {"kubernetes.kubeconfig", kubernetes.kubeconfig()},
          {"kubelet.caFile", kubelet.caFile()},
          {"kubelet.tokenFile", kubelet.tokenFile()}
        }) {
      if (!file[1].isBlank() && !Files.isReadable(Path.of(file[1]))) {
        throw new ConfigException("config key '" + file[0] + "': cannot read " + file[1]);
      }
    }
    if (!prometheus.url().isBlank()) {
      try {
        PrometheusApi.endpoint(
            prometheus.url(),
            prometheus.bearerTokenFile(),
            prometheus.basicAuthFile(),
            prometheus.caFile(),
            prometheus.insecureSkipVerify(),
            prometheus.timeout());
      } catch (IllegalArgumentException e) {
        throw new ConfigException("config key 'prometheus': " + e.getMessage());
      }
      requirePositive("prometheus.timeout", prometheus.timeout());
      requirePositive("prometheus.lookback", prometheus.lookback());
      requirePositive("prometheus.delay", prometheus.delay());
    }
    if (!List.of(Prometheus.CADVISOR, Prometheus.CHARGEBACK).contains(prometheus.source())) {
      throw new ConfigException(
          "config key 'prometheus.source': '"
              + prometheus.source()
              + "' is not one of cadvisor, chargeback");
    }
    if (!Labels.isName(prometheus.clusterLabel())) {
      throw new ConfigException(
          "config key 'prometheus.clusterLabel': '"
              + prometheus.clusterLabel()
              + "' is not a Prometheus label name");
    }
    if (clusterName.isBlank() || clusterName.getBytes(StandardCharsets.UTF_8).length > 255) {
      throw new ConfigException("config key 'clusterName': give a name of 1 to 255 bytes");
    }
    if (prometheus.maxAnswerBytes() < 1024) {
      throw new ConfigException("config key 'prometheus.maxAnswerBytes': must be at least 1024");
    }
    if (tls.certFile().isBlank() != tls.keyFile().isBlank()) {
      throw new ConfigException("config key 'tls': set both certFile and keyFile, or neither");
    }
    for (String[] file :
        new String[][] {{"tls.certFile", tls.certFile()}, {"tls.keyFile", tls.keyFile()}}) {
      if (!file[1].isBlank() && !Files.isReadable(Path.of(file[1]))) {
        throw new ConfigException("config key '" + file[0] + "': cannot read " + file[1]);
      }
    }
    if (access.enabled()) {
      requirePositive("access.cacheTtl", access.cacheTtl());
      if (access.verb().isBlank() || access.resource().isBlank()) {
        throw new ConfigException("config key 'access': verb and resource must be set");
      }
    }
    if (access.tokenHeader() == null || !access.tokenHeader().matches("[A-Za-z0-9-]*")) {
      throw new ConfigException(
          "config key 'access.tokenHeader': not a header name (letters, digits, '-'), or empty"
              + " for none: "
              + access.tokenHeader());
    }
    if (data == null || data.isBlank()) {
      throw new ConfigException("config key 'data': must name a directory");
    }
    if (listen != null && !listen.isBlank()) {
      ListenAddress.parse("listen", listen);
    }
    if (!admin.listen().isBlank()) {
      ListenAddress address = ListenAddress.parse("admin.listen", admin.listen());
      if (!address.loopback()) {
        throw new ConfigException(
            "config key 'admin.listen': '"
                + admin.listen()
                + "' is not a loopback address (127.0.0.1, [::1]); the admin endpoints name files"
                + " and URLs and never face the network");
      }
    }
    for (String dir : admin.directories()) {
      if (!Path.of(dir).isAbsolute()) {
        throw new ConfigException(
            "config key 'admin.directories': '" + dir + "' is not an absolute path");
      }
    }
    return this;
  }

  private static void requirePositive(String key, Duration d) {
    if (d == null || d.isZero() || d.isNegative()) {
      throw new ConfigException("config key '" + key + "': must be a positive duration");
    }
  }
}
