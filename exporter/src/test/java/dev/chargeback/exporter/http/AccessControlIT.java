package dev.chargeback.exporter.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.exporter.harness.Browser;
import dev.chargeback.exporter.harness.SimulatedExporter;
import dev.chargeback.exporter.web.WebRoutes;
import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.Biller;
import dev.chargeback.meter.price.PriceBookLoader;
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
    SimulatedExporter.meterTwoDays(store, Duration.ofMinutes(15));
    // team-a's labels carry Hangul: the pages must show them as written.
    store
        .labels()
        .record(
            "team-a",
            java.time.YearMonth.now(ZoneOffset.UTC),
            Map.of("team", "결제팀", "cost-center", "CC-1017"));
    AccessControl access =
        new AccessControl(
            client, "get", "pods", Duration.ofSeconds(30), "X-Forwarded-Access-Token");
    Biller biller = new Biller(store, PriceBookLoader.defaults(), InstantSource.system());
    BillRoutes routes =
        new BillRoutes(store, biller, new BillPdf(BillPdf.Style.DEFAULT), access, "local");
    WebRoutes pages = new WebRoutes(store, biller, access, true);
    http =
        HttpApi.start(
            "127.0.0.1:0",
            store,
            new dev.chargeback.exporter.metrics.MetricsPage(
                null, new io.prometheus.metrics.model.registry.PrometheusRegistry()),
            () -> null,
            cfg -> {
              routes.register(cfg);
              pages.register(cfg);
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

  private HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
    return caller.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder to(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http.port() + path));
  }

  /** POSTs a form with {@code cookies} (or none). */
  private HttpResponse<String> postForm(String path, String cookies, String body) throws Exception {
    HttpRequest.Builder b =
        to(path)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (cookies != null) {
      b.header("Cookie", cookies);
    }
    return send(b);
  }

  /** A cookie's value as the answer sets it, with its attributes; null when it sets none. */
  private static String setCookie(HttpResponse<?> r, String name) {
    return r.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith(name + "="))
        .findFirst()
        .orElse(null);
  }

  private static String cookieValue(String setCookie) {
    return setCookie.substring(setCookie.indexOf('=') + 1, setCookie.indexOf(';'));
  }

  @Test
  void thePagesShowOnlyWhatTheCallerMayReadWhateverCarriesTheToken() throws Exception {
    // A proxy's header (oauth2-proxy --pass-access-token) and the Authorization header alike.
    for (String[] header :
        new String[][] {
          {"X-Forwarded-Access-Token", "alice-token"}, {"Authorization", "Bearer alice-token"}
        }) {
      HttpResponse<String> page = send(to("/").header(header[0], header[1]));
      assertThat(page.statusCode()).as(header[0]).isEqualTo(200);
      assertThat(page.body())
          .contains("data-namespace=\"team-a\"")
          .doesNotContain("data-namespace=\"team-b\"")
          .contains("결제팀");
      assertThat(send(to("/ns/team-a").header(header[0], header[1])).statusCode()).isEqualTo(200);
      assertThat(send(to("/ns/team-b").header(header[0], header[1])).statusCode()).isEqualTo(403);
    }
    // Without a token a browser is sent to sign in, and comes back where it was.
    HttpResponse<String> none = send(to("/ns/team-a?month=2026-11"));
    assertThat(none.statusCode()).isEqualTo(303);
    assertThat(none.headers().firstValue("Location"))
        .hasValue("/signin?next=%2Fns%2Fteam-a%3Fmonth%3D2026-11");
    assertThat(send(to("/").header("X-Forwarded-Access-Token", "mallory-token")).statusCode())
        .isEqualTo(401);
  }

  @Test
  void signingInSetsAStrictCookieOnlyWithTheFormsCsrfToken() throws Exception {
    HttpResponse<String> form = send(to("/signin?next=/ns/team-a"));
    assertThat(form.statusCode()).isEqualTo(200);
    String csrfCookie = setCookie(form, "chargeback_csrf");
    assertThat(csrfCookie).contains("HttpOnly").contains("Secure").contains("SameSite=Strict");
    String csrf = cookieValue(csrfCookie);
    assertThat(form.body()).contains("value=\"" + csrf + "\"");

    String body = "token=alice-token&next=%2Fns%2Fteam-a&csrf=";
    String csrfOnly = "chargeback_csrf=" + csrf;
    // Without the cookie, or with a field that is not the cookie's: refused, nothing set. (The
    // other field differs in its first character; it once kept that character as "x", and a token
    // starting with "x", 1 in 64, was then the cookie's own.)
    String other = (csrf.charAt(0) == 'x' ? "y" : "x") + csrf.substring(1);
    for (HttpResponse<String> refused :
        List.of(
            postForm("/signin", null, body + csrf), postForm("/signin", csrfOnly, body + other))) {
      assertThat(refused.statusCode()).isEqualTo(403);
      assertThat(setCookie(refused, "chargeback_token")).isNull();
    }
    HttpResponse<String> bad =
        postForm("/signin", csrfOnly, "token=mallory-token&next=%2F&csrf=" + csrf);
    assertThat(bad.statusCode()).isEqualTo(401);
    assertThat(bad.body()).contains("Kubernetes does not accept that token");
    assertThat(setCookie(bad, "chargeback_token")).isNull();

    HttpResponse<String> ok = postForm("/signin", csrfOnly, body + csrf);
    assertThat(ok.statusCode()).isEqualTo(303);
    assertThat(ok.headers().firstValue("Location")).hasValue("/ns/team-a");
    String token = setCookie(ok, "chargeback_token");
    assertThat(token)
        .startsWith("chargeback_token=alice-token;")
        .contains("HttpOnly")
        .contains("Secure")
        .contains("SameSite=Strict")
        .contains("Max-Age=");
    // The cookie opens the pages and the bills it links to.
    String cookies = "chargeback_token=alice-token; " + csrfOnly;
    assertThat(send(to("/ns/team-a").header("Cookie", cookies)).statusCode()).isEqualTo(200);
    assertThat(send(to("/bill?ns=team-a&format=json").header("Cookie", cookies)).statusCode())
        .isEqualTo(200);
    // A next that leaves the site is not followed.
    HttpResponse<String> away =
        postForm("/signin", csrfOnly, "token=alice-token&next=%2F%2Fevil.example&csrf=" + csrf);
    assertThat(away.headers().firstValue("Location")).hasValue("/");
    // Signing out needs the CSRF token too, and then forgets the cookie.
    assertThat(postForm("/signout", cookies, "csrf=nope").statusCode()).isEqualTo(403);
    HttpResponse<String> out = postForm("/signout", cookies, "csrf=" + csrf);
    assertThat(out.statusCode()).isEqualTo(303);
    assertThat(setCookie(out, "chargeback_token"))
        .startsWith("chargeback_token=;")
        .contains("Max-Age=0");
  }

  @Test
  void inABrowserSigningInShowsTheOneNamespaceTheTokenMayReadAndAForgedFormIsRefused()
      throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(Browser.missing() == null, Browser.missing());
    // localhost: a secure context, where Chromium keeps Secure cookies over plain HTTP.
    String base = "http://localhost:" + http.port();
    try (Browser b = new Browser(1280, 1600, "en-US")) {
      b.driver.get(base + "/");
      assertThat(b.driver.getCurrentUrl()).startsWith(base + "/signin");
      // A form whose CSRF field was tampered with is refused, and nobody is signed in.
      b.driver.findElement(org.openqa.selenium.By.id("token")).sendKeys("alice-token");
      b.driver.executeScript("document.querySelector('input[name=csrf]').value = 'forged'");
      b.driver.findElement(org.openqa.selenium.By.id("signin")).click();
      new org.openqa.selenium.support.ui.WebDriverWait(b.driver, Duration.ofSeconds(30))
          .until(d -> !d.findElements(org.openqa.selenium.By.id("signin-message")).isEmpty());
      assertThat(b.driver.findElement(org.openqa.selenium.By.id("signin-message")).getText())
          .contains("CSRF check failed");
      assertThat(b.driver.manage().getCookieNamed("chargeback_token")).isNull();
      assertThat(b.consoleErrors()).singleElement().asString().contains("403");

      b.driver.get(base + "/");
      b.driver.findElement(org.openqa.selenium.By.id("token")).sendKeys("alice-token");
      b.clickAndAwait(
          b.driver.findElement(org.openqa.selenium.By.id("signin")), url -> url.equals(base + "/"));
      List<String> shown =
          b.driver.findElements(org.openqa.selenium.By.cssSelector("#namespaces tbody tr")).stream()
              .map(r -> r.getAttribute("data-namespace"))
              .toList();
      assertThat(shown).containsExactly("team-a");
      assertThat(b.driver.getPageSource()).contains("결제팀");
      org.openqa.selenium.Cookie cookie = b.driver.manage().getCookieNamed("chargeback_token");
      assertThat(cookie.isHttpOnly()).isTrue();
      assertThat(cookie.isSecure()).isTrue();
      assertThat(cookie.getSameSite()).isEqualTo("Strict");
      assertThat(b.driver.executeScript("return document.cookie")).isEqualTo("");
      b.screenshot(Path.of("target", "screenshots"), "signed-in");
      assertThat(b.consoleErrors()).isEmpty();

      b.driver.get(base + "/ns/team-b");
      assertThat(b.driver.getPageSource()).contains("may not get pods in namespace team-b");
      b.driver.get(base + "/");
      b.clickAndAwait(
          b.driver.findElement(org.openqa.selenium.By.cssSelector("form.signout button")),
          url -> url.startsWith(base + "/signin"));
      assertThat(b.driver.manage().getCookieNamed("chargeback_token")).isNull();
    }
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
