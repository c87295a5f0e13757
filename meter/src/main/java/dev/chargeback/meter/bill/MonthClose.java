package dev.chargeback.meter.bill;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.store.RollupStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes billing months: once a month is {@code closeAfter} past its end in the billing zone, every
 * namespace's bill is computed once, as of that instant, and stored whole (JSON, with its SHA-256);
 * from then on the month's bills are those, whatever is imported, repriced or counted late. The
 * writer closes; every reader (the exporter's secondary too) serves what was stored.
 */
public final class MonthClose {
  private static final Logger LOG = LoggerFactory.getLogger(MonthClose.class);

  /** Meta keys: a closed month's close instant, and its namespaces' final bills. */
  static final String CLOSED = "close/month/";

  static final String BILLS = "close/bill/";

  /** A closed month whose corrections follow the current prices (reprice --correct-closed). */
  static final String REPRICED = "close/repriced/";

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .addModule(new JavaTimeModule())
          .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
          .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
          .build();

  private final RollupStore store;
  private final PriceBook book;
  private final Duration closeAfter;
  private final InstantSource clock;

  public MonthClose(RollupStore store, PriceBook book, Duration closeAfter, InstantSource clock) {
    this.store = store;
    this.book = book;
    this.closeAfter = closeAfter;
    this.clock = clock;
  }

  /**
   * Closes every month with data whose time has come, oldest first.
   *
   * @return the months closed now
   */
  public List<YearMonth> run() {
    List<YearMonth> closed = new ArrayList<>();
    Long firstHour = store.hours().first();
    if (firstHour == null) {
      return closed;
    }
    Instant now = clock.instant();
    YearMonth first = store.calendar().monthOf(Instant.ofEpochMilli(firstHour));
    for (YearMonth m = first; ; m = m.plusMonths(1)) {
      Instant closes = closesAt(m);
      if (closes.isAfter(now)) {
        break;
      }
      if (!isClosed(store, m)) {
        close(m, closes);
        closed.add(m);
      }
    }
    return closed;
  }

  /**
   * Closes the months whose time has come in the store's own part and in each other cluster's part
   * (a central chargeback's), each cluster's bills at its own prices.
   *
   * @return the months closed now in the own part
   */
  public static List<YearMonth> runAll(
      RollupStore store, PriceBook book, Duration closeAfter, InstantSource clock) {
    List<YearMonth> closed = new MonthClose(store, book, closeAfter, clock).run();
    for (String cluster : store.clusters()) {
      List<YearMonth> theirs =
          new MonthClose(store.cluster(cluster), book.forCluster(cluster), closeAfter, clock).run();
      if (!theirs.isEmpty()) {
        LOG.info("closed {} of cluster {}", theirs, cluster);
      }
    }
    return closed;
  }

  /** When month {@code m} closes: {@code closeAfter} past the end of its last local day. */
  public Instant closesAt(YearMonth m) {
    return Instant.ofEpochSecond(store.calendar().startOf(m.plusMonths(1).atDay(1)))
        .plus(closeAfter);
  }

  /** Computes and stores every namespace's final bill of {@code m}, as of its close instant. */
  private void close(YearMonth m, Instant closes) {
    Biller biller = new Biller(store, book, InstantSource.fixed(closes));
    int[] bills = {0};
    biller.eachBill(
        m,
        biller.namespaces(),
        bill -> {
          store.meta().put(BILLS + m + "/" + bill.namespace(), json(bill));
          bills[0]++;
        });
    // Marked closed last: a crash in between closes the month again, from the same data.
    store.meta().put(CLOSED + m, closes.toString());
    LOG.info("closed {}: {} final bill(s), as of {}", m, bills[0], closes);
  }

  /** Corrections of closed month {@code m} follow the current price book from now on. */
  public static void correctPrices(RollupStore store, YearMonth m, Instant at) {
    store.meta().put(REPRICED + m, at.toString());
  }

  /** Whether {@code m}'s corrections follow the current price book. */
  static boolean repriced(RollupStore store, YearMonth m) {
    return store.meta().text(REPRICED + m) != null;
  }

  /** The closed months, oldest first. */
  public static List<YearMonth> closedMonths(RollupStore store) {
    return store.meta().texts(CLOSED).keySet().stream().map(YearMonth::parse).sorted().toList();
  }

  /** Whether {@code m}'s bills are final. */
  public static boolean isClosed(RollupStore store, YearMonth m) {
    return store.meta().text(CLOSED + m) != null;
  }

  /** The namespaces with a final bill in closed month {@code m}. */
  public static List<String> namespaces(RollupStore store, YearMonth m) {
    return List.copyOf(new java.util.TreeSet<>(store.meta().texts(BILLS + m + "/").keySet()));
  }

  /** When closed month {@code m} closed, or null when it is open. */
  public static Instant closedAt(RollupStore store, YearMonth m) {
    String at = store.meta().text(CLOSED + m);
    return at == null ? null : Instant.parse(at);
  }

  /** The final bill of a namespace in a closed month, sealed; null when it has none. */
  public static Bill finalBill(RollupStore store, String namespace, YearMonth m) {
    String json = store.meta().text(BILLS + m + "/" + namespace);
    if (json == null) {
      return null;
    }
    try {
      Bill bill = JSON.readValue(json, Bill.class);
      return bill.sealed(
          new Bill.Closing(Instant.parse(store.meta().text(CLOSED + m)), sha256(json)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "the final bill of " + namespace + " for " + m + " is unreadable", e);
    }
  }

  private static String json(Bill bill) {
    try {
      return JSON.writeValueAsString(bill);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a bill is plain data", e);
    }
  }

  static String sha256(String text) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }
}
