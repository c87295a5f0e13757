package dev.chargeback.exporter.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.exporter.harness.Browser;
import dev.chargeback.exporter.harness.ChargebackProcess;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The web pages of the real demo (its own process, its simulated month and the one before), in
 * Debian's Chromium: they load without a console error, show the JSON bills' figures, sort, pick
 * months, fit a phone, and the downloads they link work. Screenshots go to {@code
 * target/screenshots}.
 */
class WebPagesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path SHOTS = Path.of("target", "screenshots");

  @TempDir static Path dir;
  private static ChargebackProcess.Demo demo;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** The month before the demo's current one: whole, so its bills no longer change. */
  private static final YearMonth LAST = YearMonth.now(ZoneOffset.UTC).minusMonths(1);

  @BeforeAll
  static void startDemo() throws Exception {
    demo = ChargebackProcess.demo(dir);
  }

  @AfterAll
  static void stopDemo() throws Exception {
    if (demo != null) {
      demo.close();
    }
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(demo.base() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static BigDecimal jsonTotal(String ns, YearMonth month) throws Exception {
    JsonNode bill = JSON.readTree(get("/bill?format=json&ns=" + ns + "&month=" + month).body());
    return new BigDecimal(bill.get("total").asText());
  }

  private static BigDecimal amount(WebElement e) {
    return new BigDecimal(e.getAttribute("data-amount"));
  }

  private static List<WebElement> rows(Browser b) {
    return b.driver.findElements(By.cssSelector("#namespaces tbody tr"));
  }

  @Test
  void theOverviewShowsTheBillsFiguresSortsAndPicksMonths() throws Exception {
    assumeTrue(Browser.missing() == null, Browser.missing());
    try (Browser b = new Browser(1280, 2000, "en-US")) {
      b.driver.get(demo.base() + "/?month=" + LAST);
      assertThat(b.driver.findElement(By.id("month")).getText()).isEqualTo(LAST.toString());
      List<WebElement> rows = rows(b);
      assertThat(rows).hasSizeGreaterThanOrEqualTo(4);
      BigDecimal sum = BigDecimal.ZERO;
      for (WebElement row : rows) {
        String ns = row.getAttribute("data-namespace");
        WebElement cost = row.findElement(By.cssSelector("td.cost"));
        assertThat(amount(cost)).as(ns).isEqualByComparingTo(jsonTotal(ns, LAST));
        // The won has no minor unit: the text is the amount, grouped, with its sign.
        assertThat(cost.getText())
            .startsWith("₩")
            .isEqualTo("₩" + String.format("%,d", amount(cost).longValueExact()));
        sum = sum.add(amount(cost));
      }
      assertThat(amount(b.driver.findElement(By.id("cluster-total")))).isEqualByComparingTo(sum);
      // Sorted by cost, highest first, by default.
      List<BigDecimal> costs =
          rows.stream().map(r -> amount(r.findElement(By.cssSelector("td.cost")))).toList();
      assertThat(costs).isSortedAccordingTo(Comparator.reverseOrder());
      assertThat(b.driver.findElements(By.cssSelector("svg.chart rect"))).isNotEmpty();
      b.screenshot(SHOTS, "overview");
      assertThat(b.consoleErrors()).isEmpty();

      b.clickAndAwait(
          b.driver.findElement(By.id("sort-namespace")),
          url -> url.contains("sort=namespace&order=asc"));
      List<String> names = rows(b).stream().map(r -> r.getAttribute("data-namespace")).toList();
      assertThat(names).hasSameSizeAs(rows).isSorted();
      b.clickAndAwait(
          b.driver.findElement(By.id("sort-namespace")),
          url -> url.contains("sort=namespace&order=desc"));
      assertThat(rows(b).stream().map(r -> r.getAttribute("data-namespace")).toList())
          .isSortedAccordingTo(Comparator.reverseOrder());

      YearMonth before = LAST.minusMonths(1);
      new Select(b.driver.findElement(By.id("month-picker"))).selectByValue(before.toString());
      b.clickAndAwait(b.driver.findElement(By.id("show")), url -> url.contains("month=" + before));
      assertThat(b.driver.findElement(By.id("month")).getText()).isEqualTo(before.toString());
      assertThat(b.driver.getCurrentUrl()).contains("month=" + before);
      for (WebElement row : rows(b)) {
        String ns = row.getAttribute("data-namespace");
        assertThat(amount(row.findElement(By.cssSelector("td.cost"))))
            .as(ns + " in " + before)
            .isEqualByComparingTo(jsonTotal(ns, before));
      }

      b.driver.get(demo.base() + "/?month=" + LAST + "&label=team%3Dpayments");
      assertThat(rows(b).stream().map(r -> r.getAttribute("data-namespace")).toList())
          .containsExactly("team-a");
      assertThat(b.consoleErrors()).isEmpty();
    }
  }

  @Test
  void theDemosSpotNodeIsPricedAsItsNodeClass() throws Exception {
    // default runs one web replica on each node; sim-node-2 is spot (CPU 15, memory 2 a unit).
    JsonNode bill = JSON.readTree(get("/bill?format=json&ns=default&month=" + LAST).body());
    Map<String, JsonNode> spot = new java.util.TreeMap<>();
    bill.get("lines")
        .forEach(
            l -> {
              if (l.get("nodeClass").asText().equals("spot")) {
                spot.put(l.get("resource").asText(), l);
              }
            });
    assertThat(spot).containsOnlyKeys("cpu", "memory");
    assertThat(spot.get("cpu").get("unitPrice").asText()).isEqualTo("15");
    assertThat(spot.get("memory").get("unitPrice").asText()).isEqualTo("2");
    BigDecimal cpu = new BigDecimal(spot.get("cpu").get("quantity").asText());
    assertThat(new BigDecimal(spot.get("cpu").get("amount").asText()))
        .isEqualByComparingTo(
            cpu.multiply(BigDecimal.valueOf(15)).setScale(0, RoundingMode.HALF_UP));
    assertThat(get("/ns/default?month=" + LAST).body()).contains("CPU · spot", "Memory · spot");
    // team-a's database claim is on StorageClass premium-rwo, priced apart (0.5 a GiB-hour).
    JsonNode teamA = JSON.readTree(get("/bill?format=json&ns=team-a&month=" + LAST).body());
    List<String> storage = new ArrayList<>();
    teamA
        .get("lines")
        .forEach(
            l -> {
              if (l.get("resource").asText().equals("storage")) {
                storage.add(l.get("device").asText() + " " + l.get("unitPrice").asText());
              }
            });
    assertThat(storage).containsExactly("premium-rwo 0.5");
  }

  @Test
  void theDemosGpusAreBilledPerModelAndMigSlice() throws Exception {
    // ml: a 1g.10gb slice of sim-node-1's A100s all month (700 a slice-hour), and the whole A100
    // from 10:00 to 22:00 every day (4,500 a GPU-hour), both node class a100.
    JsonNode bill = JSON.readTree(get("/bill?format=json&ns=ml&month=" + LAST).body());
    Map<String, JsonNode> gpu = new java.util.TreeMap<>();
    bill.get("lines")
        .forEach(
            l -> {
              if (l.get("resource").asText().equals("gpu")) {
                gpu.put(l.get("device").asText() + "@" + l.get("nodeClass").asText(), l);
              }
            });
    assertThat(gpu).containsOnlyKeys("@a100", "1g.10gb@a100");
    int days = LAST.lengthOfMonth();
    assertThat(new BigDecimal(gpu.get("1g.10gb@a100").get("quantity").asText()))
        .isEqualByComparingTo(BigDecimal.valueOf(24L * days));
    assertThat(gpu.get("1g.10gb@a100").get("unitPrice").asText()).isEqualTo("700");
    // The training Job's first half hour each day is a baseline at the demo's 30-minute replay.
    assertThat(new BigDecimal(gpu.get("@a100").get("quantity").asText()).doubleValue())
        .isBetween(11.0 * days, 12.0 * days);
    assertThat(gpu.get("@a100").get("unitPrice").asText()).isEqualTo("4500");
    assertThat(get("/ns/ml?month=" + LAST).body()).contains("GPU 1g.10gb · a100", "GPU · a100");
  }

  @Test
  void aNamespacePageShowsItsBillAsTheJsonHasItAndItsDownloadsWork() throws Exception {
    assumeTrue(Browser.missing() == null, Browser.missing());
    JsonNode bill = JSON.readTree(get("/bill?format=json&ns=team-a&month=" + LAST).body());
    try (Browser b = new Browser(1280, 2600, "en-US")) {
      b.driver.get(demo.base() + "/?month=" + LAST);
      b.clickAndAwait(
          b.driver.findElement(By.linkText("team-a")), url -> url.contains("/ns/team-a"));
      assertThat(b.driver.findElement(By.id("namespace")).getText()).isEqualTo("team-a");
      assertThat(amount(b.driver.findElement(By.id("total"))))
          .isEqualByComparingTo(new BigDecimal(bill.get("total").asText()));
      List<BigDecimal> lines = new ArrayList<>();
      for (WebElement cell :
          b.driver.findElements(By.cssSelector("#charges tr.line td[data-amount]"))) {
        lines.add(amount(cell));
      }
      List<BigDecimal> expected = new ArrayList<>();
      bill.get("lines").forEach(l -> expected.add(new BigDecimal(l.get("amount").asText())));
      assertThat(lines).usingElementComparator(BigDecimal::compareTo).isEqualTo(expected);
      assertThat(b.driver.findElements(By.cssSelector("#workloads tbody tr"))).isNotEmpty();
      assertThat(b.driver.findElements(By.cssSelector("svg.chart"))).hasSizeGreaterThan(2);
      b.screenshot(SHOTS, "namespace");
      assertThat(b.consoleErrors()).isEmpty();
      for (WebElement link : b.driver.findElements(By.cssSelector("a.download"))) {
        URI target = URI.create(link.getAttribute("href"));
        HttpResponse<String> answer =
            HTTP.send(HttpRequest.newBuilder(target).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(target.toString()).isEqualTo(200);
        assertThat(answer.body()).as(target.toString()).isNotEmpty();
      }
    }
  }

  @Test
  void onAPhoneThePageFitsAndKoreanReadersGetTheirFormats() throws Exception {
    assumeTrue(Browser.missing() == null, Browser.missing());
    try (Browser b = new Browser(390, 844, "ko-KR")) {
      b.driver.get(demo.base() + "/?month=" + LAST);
      Object overflow =
          b.driver.executeScript(
              "return document.documentElement.scrollWidth - document.documentElement.clientWidth");
      assertThat(((Number) overflow).intValue())
          .as("horizontal overflow, px")
          .isLessThanOrEqualTo(0);
      WebElement total = b.driver.findElement(By.id("cluster-total"));
      assertThat(total.getText())
          .isEqualTo("₩" + String.format("%,d", amount(total).longValueExact()));
      b.screenshot(SHOTS, "overview-phone");
      assertThat(b.consoleErrors()).isEmpty();
    }
  }

  @Test
  void pagesRefuseBadParametersWithClearErrors() throws Exception {
    HttpResponse<String> sort = get("/?sort=evil");
    assertThat(sort.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(sort.body()).get("error").asText()).startsWith("parameter sort");
    assertThat(get("/?month=2026-13").statusCode()).isEqualTo(400);
    assertThat(get("/ns/Not_A_Namespace").statusCode()).isEqualTo(400);
    HttpResponse<String> unknown = get("/ns/never-metered?month=" + LAST);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).doesNotContain("at dev.").doesNotContain("Exception");
    HttpResponse<String> page = get("/?label=" + java.net.URLEncoder.encode("<script>x", "UTF-8"));
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.body()).doesNotContain("<script>x").contains("&lt;script&gt;x");
    assertThat(page.headers().firstValue("Content-Security-Policy"))
        .hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'none'"));
  }
}
