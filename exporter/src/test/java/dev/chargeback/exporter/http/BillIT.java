package dev.chargeback.exporter.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.exporter.role.Roles;
import dev.chargeback.meter.config.ConfigLoader;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.sim.SimReplay;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Meters a simulated October for several namespaces into RocksDB, serves it with the real {@code
 * exporter} role, and reads every PDF bill back with poppler's {@code pdftotext}: the printed lines
 * multiply out, add up, and agree with the JSON bill.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BillIT {
  private static final List<String> NAMESPACES = List.of("default", "team-a", "team-b");
  private static final String PRICES =
      """
      currency: KRW
      versions:
        - effectiveFrom: "2026-01-01"
          prices: {cpuCoreHour: 45, memoryGibHour: 6, networkReceiveGib: 0, networkTransmitGib: 150, storageGibHour: 0.2}
          taxRate: 0.10
          namespaces:
            team-a: {discount: 0.15}
        - effectiveFrom: "2026-10-16"
          prices: {cpuCoreHour: 50, memoryGibHour: 6.5, networkReceiveGib: 10, networkTransmitGib: 150, storageGibHour: 0.25}
          taxRate: 0.10
          namespaces:
            team-a: {discount: 0.15}
      """;
  private static final Pattern LINE =
      Pattern.compile(
          "^\\s*(CPU|Memory|Network received|Network sent|Storage)( \\(from [0-9-]+\\))?\\s+([\\d,]+\\.\\d{4})\\s+(core-hours|GiB-hours|GiB)\\s+([\\d.,]+)\\s+([\\d,.]+)\\s*$",
          Pattern.MULTILINE);

  @TempDir static Path dir;
  private Roles.Running exporter;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  void meterOctoberAndServe() throws Exception {
    Path data = dir.resolve("data");
    SimCluster sim = new SimCluster();
    BillingCalendar seoul = new BillingCalendar(ZoneId.of("Asia/Seoul"));
    long from = ZonedDateTime.parse("2026-09-30T14:00:00Z").toInstant().toEpochMilli();
    long to = ZonedDateTime.parse("2026-10-31T15:30:00Z").toInstant().toEpochMilli();
    try (RollupStore store = new RollupStore(RocksKeyValueStore.openPrimary(data, false), seoul)) {
      SimReplay.history(sim, store, null, from, to, 1_800_000);
    }
    Path prices = dir.resolve("prices.yaml");
    Files.writeString(prices, PRICES);
    exporter =
        Roles.exporter(
            ConfigLoader.load(
                    List.of(
                        "--data", data.toString(),
                        "--listen", "127.0.0.1:0",
                        "--prices", prices.toString(),
                        "--billing.time-zone", "Asia/Seoul",
                        "--bill.organisation", "플랫폼 엔지니어링팀"),
                    java.util.Set.of(),
                    Map.of())
                .config());
  }

  @AfterAll
  void stop() {
    exporter.close();
  }

  private HttpResponse<byte[]> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + exporter.port() + path)).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  private static BigDecimal amount(String printed) {
    return new BigDecimal(printed.replace(",", ""));
  }

  private String pdftotext(byte[] pdf, String name) throws Exception {
    Path file = dir.resolve(name + ".pdf");
    Files.write(file, pdf);
    Process p =
        new ProcessBuilder("pdftotext", "-layout", file.toString(), "-")
            .redirectErrorStream(true)
            .start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isZero();
    return text;
  }

  @Test
  void everyPrintedBillMultipliesOutAddsUpAndMatchesItsJson() throws Exception {
    for (String ns : NAMESPACES) {
      HttpResponse<byte[]> pdf = get("/bill?ns=" + ns + "&month=2026-10");
      assertThat(pdf.statusCode()).isEqualTo(200);
      assertThat(pdf.headers().firstValue("Content-Type")).hasValue("application/pdf");
      assertThat(pdf.headers().firstValue("Content-Disposition"))
          .hasValue("attachment; filename=\"bill-" + ns + "-2026-10.pdf\"");
      String text = pdftotext(pdf.body(), ns);
      JsonNode bill = json.readTree(get("/bill?ns=" + ns + "&month=2026-10&format=json").body());

      assertThat(text).contains("October 2026 Cloud Usage Bill");
      assertThat(text).contains("플랫폼 엔지니어링팀");
      assertThat(text).containsPattern("Namespace\\s+" + ns + "\\b");
      assertThat(text).contains("2026-10-01 to 2026-10-31");
      assertThat(text).contains(bill.get("billNumber").asText());
      assertThat(text).doesNotContain("PRELIMINARY");

      Matcher m = LINE.matcher(text);
      BigDecimal sum = BigDecimal.ZERO;
      List<String> printed = new ArrayList<>();
      while (m.find()) {
        BigDecimal quantity = amount(m.group(3));
        BigDecimal unitPrice = amount(m.group(5));
        BigDecimal lineAmount = amount(m.group(6));
        assertThat(m.group(6)).as("KRW has no decimals").doesNotContain(".");
        assertThat(quantity.multiply(unitPrice).setScale(0, java.math.RoundingMode.HALF_UP))
            .as(ns + " " + m.group(0).strip())
            .isEqualByComparingTo(lineAmount);
        sum = sum.add(lineAmount);
        printed.add(m.group(3));
      }
      // A price change on 16 October: every resource has a line per version.
      assertThat(printed).hasSize(bill.get("lines").size()).hasSizeGreaterThanOrEqualTo(8);
      Matcher subtotal = Pattern.compile("Subtotal\\s+([\\d,]+)").matcher(text);
      Matcher tax = Pattern.compile("Tax\\s+([\\d,]+)").matcher(text);
      Matcher total = Pattern.compile("Total \\(KRW\\)\\s+([\\d,]+)").matcher(text);
      Matcher discount = Pattern.compile("Discount\\s+-([\\d,]+)").matcher(text);
      assertThat(subtotal.find() && tax.find() && total.find()).isTrue();
      BigDecimal off = discount.find() ? amount(discount.group(1)) : BigDecimal.ZERO;
      assertThat(amount(subtotal.group(1))).isEqualByComparingTo(sum);
      assertThat(sum.subtract(off).add(amount(tax.group(1))))
          .isEqualByComparingTo(amount(total.group(1)));
      assertThat(amount(total.group(1)))
          .isEqualByComparingTo(new BigDecimal(bill.get("total").asText()));
      assertThat(off.signum() > 0).isEqualTo(ns.equals("team-a"));
      assertThat(text)
          .contains("How prices are calculated")
          .contains("Top workloads by cost")
          .contains("Weekly usage");
    }
  }

  @Test
  void csvHasOneRowPerLineAndTheSameAmounts() throws Exception {
    String csv =
        new String(get("/bill?ns=team-b&month=2026-10&format=csv").body(), StandardCharsets.UTF_8);
    JsonNode bill = json.readTree(get("/bill?ns=team-b&month=2026-10&format=json").body());
    List<String> rows = csv.lines().skip(1).toList();
    assertThat(rows).hasSize(bill.get("lines").size());
    BigDecimal sum =
        rows.stream()
            .map(r -> new BigDecimal(r.split(",")[9])) // after node_class and device
            .reduce(BigDecimal.ZERO, BigDecimal::add);
    assertThat(sum).isEqualByComparingTo(new BigDecimal(bill.get("subtotal").asText()));
  }

  @Test
  void badRequestsGetJsonErrorsNeverStackTraces() throws Exception {
    Map<String, Integer> cases =
        Map.of(
            "/bill?ns=Team_A", 400,
            "/bill", 400,
            "/bill?ns=default&month=2026-1", 400,
            "/bill?ns=default&month=2026-13", 400,
            "/bill?ns=default&format=docx", 400,
            "/bill?ns=ghost&month=2026-10", 404,
            "/bill?ns=default&month=2026-08", 404,
            "/api/v1/usage?ns=default&step=7m", 400,
            "/api/v1/usage?ns=default&from=yesterday", 400,
            "/nowhere", 404);
    for (Map.Entry<String, Integer> c : cases.entrySet()) {
      HttpResponse<byte[]> r = get(c.getKey());
      String body = new String(r.body(), StandardCharsets.UTF_8);
      assertThat(r.statusCode()).as(c.getKey()).isEqualTo(c.getValue());
      assertThat(json.readTree(body).get("error").asText()).as(c.getKey()).isNotEmpty();
      assertThat(body).doesNotContain("Exception").doesNotContain("\tat ");
    }
  }

  @Test
  void namespacesAndUsageApis() throws Exception {
    JsonNode list = json.readTree(get("/api/v1/namespaces?month=2026-10").body());
    assertThat(list.get("currency").asText()).isEqualTo("KRW");
    List<String> names = new ArrayList<>();
    list.get("namespaces").forEach(n -> names.add(n.get("namespace").asText()));
    assertThat(names).containsAll(NAMESPACES);
    JsonNode usage =
        json.readTree(get("/api/v1/usage?ns=team-a&from=2026-10-01&to=2026-10-08&step=1d").body());
    assertThat(usage.get("series").get("cpu").get("values")).hasSize(7);
    assertThat(usage.get("series").get("cpu").get("unit").asText()).isEqualTo("core-seconds");
  }

  @Test
  void everyNamespaceInOneSheetOrOneZipWithEveryPdf() throws Exception {
    HttpResponse<byte[]> sheet = get("/bills?month=2026-10&format=csv");
    assertThat(sheet.statusCode()).isEqualTo(200);
    List<String> rows = new String(sheet.body(), StandardCharsets.UTF_8).lines().toList();
    // One header, then exactly the rows of each namespace's own CSV.
    List<String> expected = new ArrayList<>(List.of(rows.get(0)));
    List<String> all = new SimCluster().namespaces();
    assertThat(all).contains("kube-system").containsAll(NAMESPACES);
    for (String ns : all) {
      List<String> own =
          new String(
                  get("/bill?ns=" + ns + "&month=2026-10&format=csv").body(),
                  StandardCharsets.UTF_8)
              .lines()
              .toList();
      assertThat(own.get(0)).isEqualTo(rows.get(0));
      expected.addAll(own.subList(1, own.size()));
    }
    assertThat(rows).containsExactlyElementsOf(expected);

    HttpResponse<byte[]> zip = get("/bills?month=2026-10&format=zip");
    assertThat(zip.statusCode()).isEqualTo(200);
    assertThat(zip.headers().firstValue("Content-Type")).hasValue("application/zip");
    Map<String, byte[]> entries = new java.util.LinkedHashMap<>();
    try (java.util.zip.ZipInputStream in =
        new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip.body()))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        entries.put(e.getName(), in.readAllBytes());
      }
    }
    List<String> names = new ArrayList<>(List.of("bills-2026-10.csv", "focus-2026-10.csv"));
    all.forEach(ns -> names.add("bill-" + ns + "-2026-10.pdf"));
    assertThat(entries.keySet()).containsExactlyElementsOf(names);
    assertThat(entries.get("bills-2026-10.csv")).isEqualTo(sheet.body());
    for (String ns : all) {
      String text = pdftotext(entries.get("bill-" + ns + "-2026-10.pdf"), "zip-" + ns);
      assertThat(text).contains(ns).contains("October 2026 Cloud Usage Bill");
    }
    assertThat(get("/bills?month=2026-10&format=pdf").statusCode()).isEqualTo(400);
    // The FOCUS dataset alone: the same as in the zip; one namespace's part of it on request.
    HttpResponse<byte[]> focus = get("/api/v1/focus?month=2026-10");
    assertThat(focus.statusCode()).isEqualTo(200);
    assertThat(focus.body()).isEqualTo(entries.get("focus-2026-10.csv"));
    List<String> teamA =
        new String(get("/api/v1/focus?month=2026-10&ns=team-a").body(), StandardCharsets.UTF_8)
            .lines()
            .skip(1)
            .toList();
    assertThat(teamA).isNotEmpty().allMatch(r -> r.contains(",team-a,team-a,Namespace,"));
  }
}
