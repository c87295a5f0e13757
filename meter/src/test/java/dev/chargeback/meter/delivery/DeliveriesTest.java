package dev.chargeback.meter.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpServer;
import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.MonthClose;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceBookLoader;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openpdf.text.pdf.PdfReader;
import org.openpdf.text.pdf.parser.PdfTextExtractor;

/**
 * Final bills delivered at month close, against real servers: an SMTP server (GreenMail) and a
 * webhook receiver that checks each signature. Once per namespace, month and channel; a crash
 * between a send and its record resends with the same key, which the receiver deduplicates.
 */
class DeliveriesTest {
  private static final YearMonth OCTOBER = YearMonth.of(2026, 10);
  private static final byte[] SECRET = "webhook-secret".getBytes(StandardCharsets.UTF_8);

  private final BillingCalendar utc = new BillingCalendar(ZoneOffset.UTC);
  private final RollupStore store = new RollupStore(new MemoryKeyValueStore(), utc);
  private final PriceBook book = PriceBookLoader.defaults();
  private final AtomicLong now =
      new AtomicLong(Instant.parse("2026-11-05T00:00:00Z").toEpochMilli());
  private final InstantSource clock = () -> Instant.ofEpochMilli(now.get());

  private GreenMail smtp;
  private HttpServer receiver;
  private final AtomicInteger answer = new AtomicInteger(200);

  /** The webhook requests received: their key and whether the signature checked out. */
  private final List<String[]> posts = new CopyOnWriteArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    List<Usage> usages = new ArrayList<>();
    for (LocalDate d = OCTOBER.atDay(1); !d.isAfter(OCTOBER.atEndOfMonth()); d = d.plusDays(1)) {
      long start = utc.startOf(d) * 1000;
      for (String ns : List.of("team-a", "team-b")) {
        usages.add(
            new Usage(ns, "Deployment/app", "", Resource.CPU, start, start + 86_400_000L, 86400));
      }
    }
    store.apply(new Ingest("t", 0, Long.MIN_VALUE, 0, usages, Map.of(), 0));
    assertThat(new MonthClose(store, book, Duration.ofHours(72), clock).run())
        .containsExactly(OCTOBER);
    store
        .annotations()
        .record("team-a", Map.of(Deliveries.BILL_TO, "lead@team-a.example, fin@corp.example"));

    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.setUser("bills@corp.example", "bills", "s3cret");
    smtp.start();
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/bills",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          String ts = exchange.getRequestHeaders().getFirst("X-Chargeback-Timestamp");
          String sig = exchange.getRequestHeaders().getFirst("X-Chargeback-Signature");
          boolean valid = ("sha256=" + WebhookChannel.sign(SECRET, ts, body)).equals(sig);
          posts.add(
              new String[] {
                exchange.getRequestHeaders().getFirst("Idempotency-Key"),
                Boolean.toString(valid),
                new String(body, StandardCharsets.ISO_8859_1)
              });
          exchange.sendResponseHeaders(answer.get(), -1);
          exchange.close();
        });
    receiver.start();
  }

  @AfterEach
  void tearDown() {
    smtp.stop();
    receiver.stop(0);
  }

  private EmailChannel email() {
    return new EmailChannel(
        "127.0.0.1",
        smtp.getSmtp().getPort(),
        false,
        "bills",
        "s3cret",
        "bills@corp.example",
        true);
  }

  private WebhookChannel webhook() {
    return new WebhookChannel(
        URI.create("http://127.0.0.1:" + receiver.getAddress().getPort() + "/bills"),
        SECRET,
        clock);
  }

  private Deliveries deliveries(List<Channel> channels) {
    return new Deliveries(
        store, book, channels, new BillPdf(BillPdf.Style.DEFAULT), 3, Duration.ofMinutes(1), clock);
  }

  @Test
  void eachFinalBillGoesOutOncePerChannelWithItsPdfAndASignature() throws Exception {
    Deliveries d = deliveries(List.of(email(), webhook(), new LogChannel()));
    // team-a: e-mail, webhook and log; team-b has no recipients: webhook and log.
    assertThat(d.run()).isEqualTo(5);
    assertThat(d.run()).as("a second run sends nothing").isZero();

    MimeMessage[] mails = smtp.getReceivedMessages();
    // One message, to both recipients (GreenMail keeps one copy per recipient).
    assertThat(mails).hasSize(2);
    MimeMessage mail = mails[0];
    Bill bill = MonthClose.finalBill(store, "team-a", OCTOBER);
    assertThat(mail.getSubject())
        .isEqualTo(
            "Final bill 2026-10 for namespace team-a: " + bill.total().toPlainString() + " KRW");
    assertThat(mail.getMessageID()).isEqualTo("<" + Deliveries.key(bill, "email") + "@chargeback>");
    MimeMultipart parts = (MimeMultipart) mail.getContent();
    assertThat(parts.getCount()).isEqualTo(3);
    assertThat(parts.getBodyPart(1).getFileName()).isEqualTo(bill.billNumber() + ".pdf");
    byte[] pdf = parts.getBodyPart(1).getInputStream().readAllBytes();
    String text = new PdfTextExtractor(new PdfReader(pdf)).getTextFromPage(1);
    assertThat(text).contains("team-a").contains("FINAL");
    assertThat(parts.getBodyPart(2).getFileName()).isEqualTo(bill.billNumber() + ".csv");

    assertThat(posts).hasSize(2);
    assertThat(posts).allMatch(p -> p[1].equals("true"));
    assertThat(posts.stream().map(p -> p[0]))
        .containsExactlyInAnyOrder(
            Deliveries.key(bill, "webhook"),
            Deliveries.key(MonthClose.finalBill(store, "team-b", OCTOBER), "webhook"));
    assertThat(posts.get(0)[2]).contains("\"status\" : \"final\"").contains("%PDF-");
    assertThat(Deliveries.states(store))
        .hasSize(5)
        .allSatisfy((k, v) -> assertThat(v).isEqualTo("sent"));
  }

  @Test
  void withStartTlsRequiredNothingIsSentToAServerWithoutIt() throws Exception {
    // GreenMail's SMTP offers no STARTTLS: the password must never cross in the clear.
    EmailChannel strict =
        new EmailChannel(
            "127.0.0.1",
            smtp.getSmtp().getPort(),
            true,
            "bills",
            "s3cret",
            "bills@corp.example",
            false);
    Deliveries d = deliveries(List.of(strict));
    assertThat(d.run()).isZero();
    assertThat(smtp.getReceivedMessages()).isEmpty();
    assertThat(Deliveries.failures(store)).containsEntry("email", 1L);
    assertThat(Deliveries.states(store)).containsEntry("2026-10/team-a/email", "retry");
  }

  @Test
  void aCrashBetweenSendAndRecordResendsWithTheSameKeyAndLosesNothing() {
    // The first send of team-a's bill lands at the receiver, then the process dies before
    // recording it (an Error stands for SIGKILL: nothing after the send runs).
    WebhookChannel real = webhook();
    AtomicInteger sends = new AtomicInteger();
    Channel dying =
        new Channel() {
          @Override
          public String name() {
            return "webhook";
          }

          @Override
          public void send(Parcel p) throws IOException {
            real.send(p);
            if (sends.incrementAndGet() == 1) {
              throw new Error("killed");
            }
          }
        };
    assertThatThrownBy(() -> deliveries(List.of(dying)).run()).hasMessage("killed");
    assertThat(posts).hasSize(1);
    // Restarted: team-a's bill is sent again, under the same key; team-b's for the first time.
    assertThat(deliveries(List.of(webhook())).run()).isEqualTo(2);
    assertThat(posts).hasSize(3);
    assertThat(posts.get(1)[0]).isEqualTo(posts.get(0)[0]);
    assertThat(posts.stream().map(p -> p[0]).distinct()).hasSize(2);
    assertThat(deliveries(List.of(webhook())).run()).isZero();
  }

  @Test
  void failedSendsAreRetriedWithBackoffThenListedAndCounted() {
    answer.set(503);
    Deliveries d = deliveries(List.of(webhook()));
    assertThat(d.run()).isZero();
    assertThat(posts).hasSize(2);
    assertThat(Deliveries.failures(store)).containsEntry("webhook", 2L);
    // Not before the wait: 1 minute after the first failure, then 2.
    now.addAndGet(59_000);
    d.run();
    assertThat(posts).hasSize(2);
    now.addAndGet(2_000);
    d.run();
    assertThat(posts).hasSize(4);
    now.addAndGet(120_000);
    d.run();
    // Three attempts each, all refused: given up, listed, counted.
    assertThat(posts).hasSize(6);
    assertThat(Deliveries.failed(store))
        .hasSize(2)
        .allMatch(f -> f.startsWith("2026-10/team-") && f.contains("HTTP 503"));
    assertThat(Deliveries.failures(store)).containsEntry("webhook", 6L);
    now.addAndGet(86_400_000L);
    answer.set(200);
    assertThat(d.run()).isZero();
  }
}
