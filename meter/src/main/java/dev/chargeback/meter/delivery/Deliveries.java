package dev.chargeback.meter.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.meter.bill.Bill;
import dev.chargeback.meter.bill.BillCsv;
import dev.chargeback.meter.bill.BillJson;
import dev.chargeback.meter.bill.BillPdf;
import dev.chargeback.meter.bill.MonthClose;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.store.RollupStore;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers each closed month's final bills once per namespace and channel. The state of every
 * (month, namespace, channel) lives in the store ({@code delivery/MONTH/NS/CHANNEL}): marked {@code
 * sending} with the attempt's number before a send, {@code sent} after it. A crash between the two
 * leaves {@code sending}, and the next run sends again with the same key (the webhook's {@code
 * Idempotency-Key}, the e-mail's {@code Message-ID}), which is how a receiver drops the duplicate:
 * delivery is at least once, and once per key. A failed send waits {@code retryAfter}, doubled
 * after each further failure, up to {@code maxAttempts}; then it is {@code failed}, listed by
 * {@link #failed} and not tried again. Failures are counted per channel ({@code
 * delivery/failures/CHANNEL}).
 */
public final class Deliveries {
  /** The namespace annotation naming a namespace's bill recipients: {@code "a@x, b@y"}. */
  public static final String BILL_TO = "chargeback.dev/bill-to";

  /**
   * Months closed longer ago than this are not delivered (turning delivery on sends no backlog).
   */
  static final Duration RECENT = Duration.ofDays(40);

  private static final Logger LOG = LoggerFactory.getLogger(Deliveries.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String STATE = "delivery/";
  private static final String FAILURES = "delivery-failures/";

  /** Where one bill stands on one channel. */
  record State(String status, int attempts, long nextAttemptMillis, String error) {}

  private final RollupStore store;
  private final PriceBook book;
  private final List<Channel> channels;
  private final BillPdf pdf;
  private final int maxAttempts;
  private final Duration retryAfter;
  private final InstantSource clock;

  public Deliveries(
      RollupStore store,
      PriceBook book,
      List<Channel> channels,
      BillPdf pdf,
      int maxAttempts,
      Duration retryAfter,
      InstantSource clock) {
    this.store = store;
    this.book = book;
    this.channels = List.copyOf(channels);
    this.pdf = pdf;
    this.maxAttempts = maxAttempts;
    this.retryAfter = retryAfter;
    this.clock = clock;
  }

  /**
   * Sends what is due: every final bill of the recently closed months not yet sent on each channel,
   * whose next attempt has come.
   *
   * @return the sends that succeeded in this run
   */
  public int run() {
    int sent = 0;
    Instant now = clock.instant();
    Map<String, Map<String, String>> annotations = store.annotations().all();
    for (YearMonth m : MonthClose.closedMonths(store)) {
      Instant closed = MonthClose.closedAt(store, m);
      if (closed == null || closed.isBefore(now.minus(RECENT))) {
        continue;
      }
      for (String ns : MonthClose.namespaces(store, m)) {
        List<String> recipients =
            recipients(ns, annotations.getOrDefault(ns, Map.of()).get(BILL_TO));
        Bill bill = null;
        for (Channel channel : channels) {
          if (!channel.reaches(recipients)) {
            continue;
          }
          String key = STATE + m + "/" + ns + "/" + channel.name();
          State state = state(key);
          if (state != null
              && (state.status().equals("sent")
                  || state.status().equals("failed")
                  || state.nextAttemptMillis() > now.toEpochMilli())) {
            continue;
          }
          if (bill == null) {
            bill = MonthClose.finalBill(store, ns, m);
          }
          int attempt = state == null ? 1 : state.attempts() + 1;
          put(key, new State("sending", attempt, 0, null));
          try {
            channel.send(parcel(bill, channel, recipients));
          } catch (Exception e) {
            failed(key, channel, bill, attempt, e, now);
            continue;
          }
          put(key, new State("sent", attempt, 0, null));
          sent++;
        }
      }
    }
    return sent;
  }

  private void failed(
      String key, Channel channel, Bill bill, int attempt, Exception e, Instant now) {
    store
        .meta()
        .put(
            FAILURES + channel.name(),
            Long.toString(failures(store).getOrDefault(channel.name(), 0L) + 1));
    String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    if (attempt >= maxAttempts) {
      put(key, new State("failed", attempt, 0, reason));
      LOG.error(
          "final bill of {} for {} not delivered by {} after {} attempts: {}",
          bill.namespace(),
          bill.month(),
          channel.name(),
          attempt,
          reason);
    } else {
      long wait = retryAfter.toMillis() << Math.min(20, attempt - 1);
      put(key, new State("retry", attempt, now.toEpochMilli() + wait, reason));
      LOG.warn(
          "final bill of {} for {} not delivered by {} (attempt {} of {}, next in {} s): {}",
          bill.namespace(),
          bill.month(),
          channel.name(),
          attempt,
          maxAttempts,
          wait / 1000,
          reason);
    }
  }

  /** The same key on every attempt of a bill on a channel; a new one for a new final bill. */
  static String key(Bill bill, String channel) {
    String seal = bill.closing() == null ? "" : "." + bill.closing().sha256().substring(0, 16);
    return bill.billNumber() + seal + "." + channel;
  }

  private Parcel parcel(Bill bill, Channel channel, List<String> recipients) {
    return new Parcel(
        bill,
        BillJson.render(bill),
        pdf.render(bill),
        BillCsv.render(bill),
        key(bill, channel.name()),
        recipients);
  }

  /** The namespace's e-mail recipients: its annotation, else the price book's billTo. */
  private List<String> recipients(String namespace, String annotated) {
    String list = annotated;
    if (list == null) {
      list = book.billTo().get(namespace);
    }
    if (list == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String a : list.split("[,;]")) {
      String address = a.strip();
      if (address.matches("[^@\\s<>\"]+@[^@\\s<>\"]+")) {
        out.add(address);
      } else if (!address.isEmpty()) {
        LOG.warn(
            "namespace {}: {} '{}' is not an e-mail address; skipped",
            namespace,
            BILL_TO,
            address.replaceAll("\\p{Cntrl}", "?"));
      }
    }
    return List.copyOf(out);
  }

  /** Failed sends so far, per channel. */
  public static Map<String, Long> failures(RollupStore store) {
    Map<String, Long> out = new TreeMap<>();
    store.meta().texts(FAILURES).forEach((channel, n) -> out.put(channel, Long.parseLong(n)));
    return out;
  }

  /** Bills given up on after their last attempt, as {@code MONTH/NS/CHANNEL: reason}. */
  public static List<String> failed(RollupStore store) {
    List<String> out = new ArrayList<>();
    each(
        store,
        (where, s) -> {
          if (s != null && s.status().equals("failed")) {
            out.add(where + ": " + s.error());
          }
        });
    return out;
  }

  /** Each bill's state on each channel, as {@code MONTH/NS/CHANNEL → status}. */
  public static Map<String, String> states(RollupStore store) {
    Map<String, String> out = new TreeMap<>();
    each(store, (where, s) -> out.put(where, s == null ? "unreadable" : s.status()));
    return out;
  }

  /** Every stored state, by {@code MONTH/NS/CHANNEL} (null where unreadable). */
  private static void each(RollupStore store, java.util.function.BiConsumer<String, State> visit) {
    store.meta().texts(STATE).forEach((where, json) -> visit.accept(where, read(json)));
  }

  private State state(String key) {
    String json = store.meta().text(key);
    return json == null ? null : read(json);
  }

  private static State read(String json) {
    try {
      return JSON.readValue(json, State.class);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  private void put(String key, State state) {
    try {
      store.meta().put(key, JSON.writeValueAsString(state));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a state is plain data", e);
    }
  }
}
