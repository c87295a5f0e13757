package dev.chargeback.exporter.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.sim.SimReplay;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.javalin.Javalin;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Access control against a fake Kubernetes API answering TokenReviews and SubjectAccessReviews:
 * alice (group payments) may get pods in team-a only; every other token is invalid.
 */
class AccessControlIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private KubernetesMockServer api;
  private KubernetesClient client;
  private RollupStore store;
  private Javalin http;
  private final HttpClient caller = HttpClient.newHttpClient();
  private final AtomicInteger reviews = new AtomicInteger();

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @BeforeEach
  void start() throws Exception {
    api = new KubernetesMockServer(true);
    api.init(InetAddress.getLoopbackAddress(), 0);
    api.expect()
        .post()
        .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
        .andReply(
            201,
            r -> {
              reviews.incrementAndGet();
              JsonNode review = tree(r.getUtf8Body());
              String token = review.at("/spec/token").asText();
              // alice's scoped token (OpenShift's user:info scope) is alice, limited by extra.
              Map<String, Object> extra =
                  token.equals("alice-scoped-token")
                      ? Map.of("scopes.authorization.openshift.io", List.of("user:info"))
                      : Map.of();
              Map<String, Object> status =
                  token.startsWith("alice-")
                      ? Map.of(
                          "authenticated",
                          true,
                          "user",
                          Map.of(
                              "username",
                              "alice",
                              "uid",
                              "alice-uid",
                              "groups",
                              List.of("payments"),
                              "extra",
                              extra))
                      : Map.of("authenticated", false);
              return Map.of(
                  "apiVersion", "authentication.k8s.io/v1",
                  "kind", "TokenReview",
                  "status", status);
            })
        .always();
    api.expect()
        .post()
        .withPath("/apis/authorization.k8s.io/v1/subjectaccessreviews")
        .andReply(
            201,
            r -> {
              reviews.incrementAndGet();
              JsonNode review = tree(r.getUtf8Body());
              boolean allowed =
                  review.at("/spec/user").asText().equals("alice")
                      && review.at("/spec/uid").asText().equals("alice-uid")
                      && review.at("/spec/extra/scopes.authorization.openshift.io").isMissingNode()
                      && review.at("/spec/groups/0").asText().equals("payments")
                      && review.at("/spec/resourceAttributes/namespace").asText().equals("team-a")
                      && review.at("/spec/resourceAttributes/verb").asText().equals("get")
                      && review.at("/spec/resourceAttributes/resource").asText().equals("pods");
              return Map.of(
                  "apiVersion",
                  "authorization.k8s.io/v1",
                  "kind",
                  "SubjectAccessReview",
                  "status",
                  allowed
                      ? Map.of("allowed", true)
                      : Map.of("allowed", false, "reason", "no RBAC rule"));
            })
        .always();
    // As the exporter configures its client: fail in seconds when the API server is down.
    client =
        new io.fabric8.kubernetes.client.KubernetesClientBuilder()
            .withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(
                        api.createClient().getConfiguration())
                    .withConnectionTimeout(3_000)
                    .withRequestTimeout(5_000)
                    .withRequestRetryBackoffLimit(1)
                    .build())
            .build();

    BillingCalendar utc = new BillingCalendar(ZoneOffset.UTC);
    store = new RollupStore(RocksKeyValueStore.openPrimary(dir.resolve("data"), false), utc);
    long now = System.currentTimeMillis();
    SimReplay.history(
        new SimCluster(),
        store,
        new CostAccrual(PriceBookLoader.defaults(), utc),
        now - 2 * 86_400_000L,
        now,
        900_000);
    AccessControl access = new AccessControl(client, "get", "pods", Duration.ofSeconds(30));
    BillRoutes routes =
        new BillRoutes(
            store,
            new Biller(store, PriceBookLoader.defaults(), InstantSource.system()),
            new BillPdf(BillPdf.Style.DEFAULT),
            access);
    http =
        HttpApi.start(
            "127.0.0.1:0",
            store,
            new io.prometheus.metrics.model.registry.PrometheusRegistry(),
            () -> null,
            cfg -> {
              routes.register(cfg);
              BillRoutes.errors(cfg);
            });
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return caller.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aCallerSeesOnlyTheNamespacesKubernetesAllows() throws Exception {
    HttpResponse<String> allowed = get("/bill?ns=team-a&format=json", "alice-token");
    assertThat(allowed.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(allowed.body()).get("namespace").asText()).isEqualTo("team-a");

    HttpResponse<String> denied = get("/bill?ns=team-b", "alice-token");
    assertThat(denied.statusCode()).isEqualTo(403);
    assertThat(JSON.readTree(denied.body()).get("error").asText())
        .isEqualTo("user alice may not get pods in namespace team-b");

    List<String> listed = new ArrayList<>();
    JSON.readTree(get("/api/v1/namespaces", "alice-token").body())
        .get("namespaces")
        .forEach(n -> listed.add(n.get("namespace").asText()));
    assertThat(listed).containsExactly("team-a");
    assertThat(
            JSON.readTree(get("/api/v1/usage/namespaces", "alice-token").body())
                .get("namespaces")
                .fieldNames())
        .toIterable()
        .containsExactly("team-a");
    assertThat(get("/api/v1/usage?ns=team-b", "alice-token").statusCode()).isEqualTo(403);
    // All namespaces at once means all the caller may read.
    List<String> rows = get("/bills?format=csv", "alice-token").body().lines().skip(1).toList();
    assertThat(rows).isNotEmpty().allMatch(r -> r.startsWith("team-a,"));
    assertThat(get("/bills?format=csv", null).statusCode()).isEqualTo(401);

    // Decisions are cached: asking again does not ask Kubernetes again.
    int before = reviews.get();
    assertThat(get("/bill?ns=team-a&format=json", "alice-token").statusCode()).isEqualTo(200);
    assertThat(reviews.get()).isEqualTo(before);
  }

  @Test
  void theAccessReviewCarriesTheTokensUidGroupsAndExtraSoAScopedTokenIsNotItsUser()
      throws Exception {
    assertThat(get("/bill?ns=team-a&format=json", "alice-token").statusCode()).isEqualTo(200);
    HttpResponse<String> scoped = get("/bill?ns=team-a&format=json", "alice-scoped-token");
    assertThat(scoped.statusCode()).isEqualTo(403);
    assertThat(get("/api/v1/namespaces", "alice-scoped-token").body()).doesNotContain("team-a");
  }

  @Test
  void aRejectedTokenIsRememberedLikeAnAcceptedOne() throws Exception {
    assertThat(get("/bill?ns=team-a", "mallory-token").statusCode()).isEqualTo(401);
    int before = reviews.get();
    for (int i = 0; i < 5; i++) {
      assertThat(get("/bill?ns=team-a", "mallory-token").statusCode()).isEqualTo(401);
    }
    assertThat(reviews.get()).as("TokenReviews for a known bad token").isEqualTo(before);
  }

  @Test
  void noTokenOrABadTokenIs401AndMetricsStayOpen() throws Exception {
    HttpResponse<String> none = get("/bill?ns=team-a", null);
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.headers().firstValue("WWW-Authenticate")).contains("Bearer");
    assertThat(none.body()).contains("a bearer token is required");
    HttpResponse<String> bad = get("/api/v1/namespaces", "mallory-token");
    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(bad.body()).get("error").asText()).isEqualTo("the token is not valid");
    assertThat(get("/metrics", null).statusCode()).isEqualTo(200);
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
  }

  @Test
  void whenKubernetesCannotAnswerTheAnswerIs503NotOpen() throws Exception {
    api.destroy();
    HttpResponse<String> down = get("/bill?ns=team-a", "alice-token");
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(JSON.readTree(down.body()).get("error").asText())
        .startsWith("cannot check the token with the Kubernetes API");
    assertThat(down.body()).doesNotContain("at io.").doesNotContain("at dev.");
  }

  @AfterEach
  void stop() {
    http.stop();
    store.close();
    client.close();
    api.destroy();
    caller.close();
  }
}
