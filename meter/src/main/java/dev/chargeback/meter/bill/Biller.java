package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.Basis;
import dev.chargeback.meter.price.IdlePolicy;
import dev.chargeback.meter.price.PriceBook;
import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.store.Coverage;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * Prices a namespace's month from its daily rollups: each local day with the price version in force
 * that day. Lines are per resource and price version; quantities are rounded to 4 decimals first
 * and amounts once, to the currency's minor unit, so every printed line checks out.
 */
public final class Biller {
  /** The pseudo-namespace that carries idle cost under the {@code separate} policy. */
  public static final String IDLE = "_idle";

  private static final int QUANTITY_SCALE = 4;

  private final RollupStore store;
  private final PriceBook book;
  private final InstantSource clock;

  /** Whether some version has node classes: then where usage ran is read with it. */
  private final boolean placed;

  public Biller(RollupStore store, PriceBook book, InstantSource clock) {
    this.store = store;
    this.book = book;
    this.clock = clock;
    this.placed = book.readsPlacements();
  }

  /** The namespaces' days in [from, to), with where they ran when node classes price it. */
  private Map<String, MonthUsage> read(Collection<String> namespaces, long from, long to) {
    return MonthUsage.readAll(store, namespaces, from, to, placed);
  }

  public PriceBook priceBook() {
    return book;
  }

  /** The namespaces that have ever been metered. */
  public Set<String> namespaces() {
    Set<String> out = new TreeSet<>();
    store.totals(Scope.NAMESPACE).keySet().forEach(k -> out.add(k.owner()));
    if (book.versions().stream().anyMatch(v -> v.idle() == IdlePolicy.SEPARATE)) {
      out.add(IDLE);
    }
    return out;
  }

  /** The present, as the bills see it. */
  public Instant now() {
    return clock.instant();
  }

  /** The clock the bills are made with. */
  public InstantSource clock() {
    return clock;
  }

  /** The current month in the billing zone. */
  public YearMonth currentMonth() {
    return store.calendar().monthOf(clock.instant());
  }

  /**
   * Quantities per price version, node class ("" for none) and line, the days' usage, and whether
   * any went unpriced.
   */
  private record Quantities(
      Map<PriceVersion, Map<String, Map<BillResource, Double>>> perVersion,
      List<Bill.DailyUsage> daily,
      boolean unpriced) {}

  /** Priced lines and the totals they make. */
  private record Priced(
      List<Bill.Segment> segments,
      List<BillLine> lines,
      BigDecimal subtotal,
      BigDecimal discount,
      BigDecimal tax) {}

  /**
   * One request's reading of the store: the namespaces ever metered, read once, and each month's
   * shared-cost spread under each price book (a closed month's corrections price it as it closed),
   * computed once however many bills need it.
   */
  private static final class Request {
    final Set<String> known;
    private final Map<Map.Entry<PriceBook, YearMonth>, SharedCosts> spreads = new HashMap<>();
    private final Map<YearMonth, Map<String, MonthUsage>> reads = new HashMap<>();
    private final Map<YearMonth, Double> coverage = new HashMap<>();
    private final Map<YearMonth, Map<String, Map<String, String>>> labels = new HashMap<>();
    private final Map<YearMonth, Boolean> closed = new HashMap<>();

    /** Whether the month has closed, asked of the store once per request. */
    boolean closed(RollupStore store, YearMonth month) {
      return closed.computeIfAbsent(month, m -> MonthClose.isClosed(store, m));
    }

    Request(Set<String> known) {
      this.known = known;
    }

    SharedCosts spread(Biller biller, YearMonth month) {
      return spreads.computeIfAbsent(
          Map.entry(biller.book, month), k -> biller.sharedCosts(month, this));
    }

    /** The namespace's month when it was read with others' beforehand, else null. */
    MonthUsage read(YearMonth month, String namespace) {
      Map<String, MonthUsage> read = reads.get(month);
      return read == null ? null : read.get(namespace);
    }

    /** The namespace's labels in the month, from those read for all at once if they were. */
    Map<String, String> labels(RollupStore store, YearMonth month, String namespace) {
      Map<String, Map<String, String>> all = labels.get(month);
      return all != null
          ? all.getOrDefault(namespace, Map.of())
          : store.labels().at(namespace, month);
    }

    /** The period's coverage: the cluster's, the same on every namespace's bill of the month. */
    double coverage(Biller biller, YearMonth month, Period p) {
      return coverage.computeIfAbsent(
          month, m -> Coverage.ratio(biller.store, p.from(), p.to(), biller.clock.millis() / 1000));
    }
  }

  /**
   * The bill of {@code namespace} for {@code month}.
   *
   * @throws BillException NOT_FOUND when the namespace was never metered, or not in that month
   */
  public Bill bill(String namespace, YearMonth month) {
    return bill(namespace, month, new Request(namespaces()), true, true, false);
  }

  /**
   * The bills of {@code namespaces} for {@code month} as {@link #bills} makes them, without the
   * parts only a bill's own page shows (top workloads, the previous month's total): their lines and
   * totals are the same, read from the store in one pass, for pages that list many namespaces.
   */
  public List<Bill> summaries(YearMonth month, Collection<String> namespaces) {
    Request request = new Request(namespaces());
    if (!MonthClose.isClosed(store, month)) {
      Period p = period(month);
      request.reads.put(month, read(namespaces, p.from(), p.to()));
      request.labels.put(month, store.labels().allAt(month));
    }
    List<Bill> out = new ArrayList<>(namespaces.size());
    eachBill(month, namespaces, request, false, out::add);
    return out;
  }

  /**
   * Each day's cost of {@code bill}'s own usage, at that day's prices, after the namespace's
   * discount and with tax (what the forecast extrapolates), unrounded.
   */
  public double[] dailyCosts(Bill bill) {
    return bill.daily().stream().mapToDouble(d -> dayCost(bill.namespace(), d)).toArray();
  }

  /**
   * The daily costs ({@link #dailyCosts(Bill)}) of each of {@code namespaces} over the first {@code
   * days} days of {@code month} (up to today), read in one pass and without pricing whole bills:
   * for comparing with another month's same days. Namespaces without usage then are absent.
   */
  public Map<String, double[]> dailyCosts(
      YearMonth month, Collection<String> namespaces, int days) {
    Period p = period(month);
    LocalDate wanted = p.first().plusDays(Math.max(1, days) - 1L);
    LocalDate last = wanted.isAfter(p.last()) ? p.last() : wanted;
    Map<String, double[]> out = new LinkedHashMap<>();
    read(namespaces, p.from(), store.calendar().startOf(last.plusDays(1)))
        .forEach(
            (ns, usage) -> {
              if (!usage.isEmpty()) {
                out.put(
                    ns,
                    quantities(usage, p.first(), last).daily().stream()
                        .mapToDouble(d -> dayCost(ns, d))
                        .toArray());
              }
            });
    return out;
  }

  /** A namespace's own usage and cost in a month, before shares and corrections. */
  private record Own(Period period, MonthUsage usage, Quantities quantities, Priced priced) {}

  /**
   * The days a month's bill covers: from its first to its last day, or today in the current month;
   * {@code from} and {@code to} are their bounds in epoch seconds.
   */
  private record Period(LocalDate first, LocalDate last, long from, long to) {}

  /**
   * @throws BillException BAD_REQUEST for a month that has not begun
   */
  private Period period(YearMonth month) {
    BillingCalendar calendar = store.calendar();
    LocalDate today = LocalDate.ofInstant(clock.instant(), calendar.zone());
    if (month.isAfter(YearMonth.from(today))) {
      throw new BillException(BillException.Kind.BAD_REQUEST, "month " + month + " has not begun");
    }
    LocalDate first = month.atDay(1);
    LocalDate last = YearMonth.from(today).equals(month) ? today : month.atEndOfMonth();
    return new Period(first, last, calendar.startOf(first), calendar.startOf(last.plusDays(1)));
  }

  /**
   * What {@code namespace} used and costs in {@code month} up to today, without shares.
   *
   * @param read the namespace's month already read (with others', in one pass), or null
   * @throws BillException NOT_FOUND without usage in the month
   */
  private Own own(String namespace, YearMonth month, Set<String> known, MonthUsage read) {
    Period p = period(month);
    if (!namespace.equals(IDLE) && !known.contains(namespace)) {
      throw new BillException(
          BillException.Kind.NOT_FOUND, "namespace " + namespace + " has never been metered");
    }
    MonthUsage usage =
        read != null ? read : read(List.of(namespace), p.from(), p.to()).get(namespace);
    if (namespace.equals(IDLE) ? !usage.hasCapacity() : usage.isEmpty()) {
      throw new BillException(
          BillException.Kind.NOT_FOUND,
          "no usage of namespace " + namespace + " was metered in " + month);
    }
    Quantities quantities = quantities(usage, p.first(), p.last());
    Priced priced = price(namespace, quantities.perVersion(), minor());
    return new Own(p, usage, quantities, priced);
  }

  /**
   * The month's spread of shared costs: every namespace's own cost is needed (the tenants' weights
   * and the shared namespaces' costs), read in one pass, so it is computed only when a version in
   * force that month names shared namespaces.
   */
  private SharedCosts sharedCosts(YearMonth month, Request request) {
    boolean any = false;
    for (LocalDate d = month.atDay(1); !d.isAfter(month.atEndOfMonth()); d = d.plusDays(1)) {
      PriceVersion v = book.at(d);
      any |= v != null && !v.shared().isEmpty();
    }
    if (!any) {
      return SharedCosts.NONE;
    }
    // The namespaces ever metered, and the idle capacity's pseudo-namespace when it has a bill.
    Period p = period(month);
    Map<String, MonthUsage> read = request.reads.get(month);
    if (read == null || !read.keySet().containsAll(request.known)) {
      read = read(request.known, p.from(), p.to());
      request.reads.put(month, read);
    }
    Map<String, List<Bill.Segment>> own = new LinkedHashMap<>();
    for (String ns : request.known) {
      try {
        own.put(ns, own(ns, month, request.known, read.get(ns)).priced().segments());
      } catch (BillException e) {
        if (e.kind() != BillException.Kind.NOT_FOUND) {
          throw e;
        }
      }
    }
    return SharedCosts.spread(own, minor());
  }

  private int minor() {
    return Math.max(0, book.currency().getDefaultFractionDigits());
  }

  /**
   * @param full the whole bill; else without what only its own page shows (top workloads, the
   *     previous month's total), for the totals of many namespaces
   * @param correct whether to bill corrections to closed months
   * @param live compute a closed month's bill anew instead of serving its final one
   */
  private Bill bill(
      String namespace,
      YearMonth month,
      Request request,
      boolean full,
      boolean correct,
      boolean live) {
    if (!live && request.closed(store, month)) {
      Bill closed = MonthClose.finalBill(store, namespace, month);
      if (closed == null) {
        throw new BillException(
            BillException.Kind.NOT_FOUND,
            "no usage of namespace " + namespace + " was metered in " + month);
      }
      return closed;
    }
    Own own = own(namespace, month, request.known, request.read(month, namespace));
    Priced priced = own.priced();
    int minor = minor();
    SharedCosts spread = request.spread(this, month);
    List<Bill.Share> shares = spread.of(namespace);
    List<Bill.Correction> corrections =
        correct ? corrections(namespace, month, request) : List.<Bill.Correction>of();
    BigDecimal total =
        priced
            .subtotal()
            .subtract(priced.discount())
            .add(priced.tax())
            .add(
                corrections.stream()
                    .map(Bill.Correction::amount)
                    .reduce(zero(minor), BigDecimal::add))
            .add(shares.stream().map(Bill.Share::amount).reduce(zero(minor), BigDecimal::add));
    LocalDate today = LocalDate.ofInstant(clock.instant(), store.calendar().zone());
    LocalDate last = own.period().last();
    boolean preliminary = !last.equals(month.atEndOfMonth()) || !today.isAfter(last);
    List<String> notes = new ArrayList<>(notes(own.usage(), own.quantities()));
    priced.lines().stream()
        .filter(l -> l.resource().gpu() && l.unitPrice().signum() == 0)
        .map(l -> l.device().isEmpty() ? "GPUs" : "MIG profile " + l.device())
        .distinct()
        .forEach(what -> notes.add(what + " without a price in the price book: billed at 0"));
    notes.addAll(spread.notes(namespace));
    return new Bill(
        namespace,
        month,
        book.currency(),
        preliminary,
        billNumber(namespace, month),
        today,
        own.period().first(),
        last,
        priced.lines(),
        priced.subtotal(),
        priced.discount(),
        priced.tax(),
        total,
        own.quantities().daily(),
        full
            ? TopWorkloads.of(store, book, namespace, own.period().from(), own.period().to(), minor)
            : List.of(),
        request.coverage(this, month, own.period()),
        List.copyOf(notes),
        List.copyOf(own.quantities().perVersion().keySet()),
        request.labels(store, month, namespace),
        full ? previousTotal(namespace, month, request) : null,
        priced.segments(),
        corrections,
        shares,
        preliminary ? forecast(namespace, month, own.quantities().daily(), total, minor) : null,
        null,
        Map.of());
  }

  /**
   * The bills of {@code namespaces} for {@code month}, in that order; a namespace without usage in
   * the month has none.
   */
  public List<Bill> bills(YearMonth month, Collection<String> namespaces) {
    List<Bill> out = new ArrayList<>(namespaces.size());
    eachBill(month, namespaces, out::add);
    return out;
  }

  /**
   * The bills of {@code namespaces} for {@code month}, as {@link #bills} makes them, each handed to
   * {@code each} as soon as it is made: a month's close at thousands of namespaces holds one bill
   * at a time, not all of them.
   */
  public void eachBill(YearMonth month, Collection<String> namespaces, Consumer<Bill> each) {
    eachBill(month, namespaces, new Request(namespaces()), true, each);
  }

  private void eachBill(
      YearMonth month,
      Collection<String> namespaces,
      Request request,
      boolean full,
      Consumer<Bill> each) {
    for (String ns : namespaces) {
      Bill bill;
      try {
        bill = bill(ns, month, request, full, true, false);
      } catch (BillException e) {
        if (e.kind() != BillException.Kind.NOT_FOUND) {
          throw e;
        }
        continue;
      }
      each.accept(bill);
    }
  }

  /** How many closed months before a bill's month are checked for corrections. */
  static final int CORRECTION_MONTHS = 3;

  /**
   * What changed in the closed months before {@code month} (up to {@value #CORRECTION_MONTHS})
   * since they closed, less what later final bills already corrected: per resource, discount and
   * tax, each month's bill computed anew (at the prices it closed with, unless {@code reprice
   * --correct-closed} said otherwise) against its final bill.
   */
  private List<Bill.Correction> corrections(String namespace, YearMonth month, Request request) {
    // The closed months looked back on, with the namespace's final bill in each (or none), read
    // once.
    Map<YearMonth, Bill> finals = new LinkedHashMap<>();
    for (int back = CORRECTION_MONTHS; back >= 1; back--) {
      YearMonth m = month.minusMonths(back);
      if (request.closed(store, m)) {
        finals.put(m, MonthClose.finalBill(store, namespace, m));
      }
    }
    List<Bill.Correction> out = new ArrayList<>();
    finals.forEach(
        (closed, billedThen) -> {
          Map<String, BigDecimal> diff = new LinkedHashMap<>();
          items(diff, billedThen, -1);
          // Priced as it was at the close, unless a reprice was told to correct closed months.
          PriceBook prices =
              billedThen == null || MonthClose.repriced(store, closed)
                  ? book
                  : new PriceBook(book.currency(), billedThen.versions());
          try {
            Biller then = new Biller(store, prices, clock);
            items(diff, then.bill(namespace, closed, request, false, false, true), 1);
          } catch (BillException e) {
            // Nothing metered in that month now: all of its final bill is corrected away.
          }
          // What the final bills of later closed months already corrected.
          finals.forEach(
              (later, billed) -> {
                if (later.isAfter(closed) && billed != null) {
                  for (Bill.Correction c : billed.corrections()) {
                    if (c.month().equals(closed)) {
                      diff.merge(c.item(), c.amount().negate(), BigDecimal::add);
                    }
                  }
                }
              });
          diff.forEach(
              (item, amount) -> {
                if (amount.signum() != 0) {
                  out.add(new Bill.Correction(closed, item, amount));
                }
              });
        });
    return List.copyOf(out);
  }

  /** Adds a bill's amounts, signed as they make its total: per resource, discount, tax. */
  private static void items(Map<String, BigDecimal> into, Bill bill, int sign) {
    if (bill == null) {
      return;
    }
    BigDecimal s = BigDecimal.valueOf(sign);
    for (BillLine l : bill.lines()) {
      into.merge(l.resource().code, l.amount().multiply(s), BigDecimal::add);
    }
    into.merge("discount", bill.discount().negate().multiply(s), BigDecimal::add);
    into.merge("tax", bill.tax().multiply(s), BigDecimal::add);
    for (Bill.Share share : bill.shares()) {
      into.merge(bill.shareItem(share), share.amount().multiply(s), BigDecimal::add);
    }
  }

  /** The previous month's total, or null when the namespace had no usage then. */
  private BigDecimal previousTotal(String namespace, YearMonth month, Request request) {
    try {
      return bill(namespace, month.minusMonths(1), request, false, true, false).total();
    } catch (BillException e) {
      return null;
    }
  }

  /** Month-to-date plus the recent daily run-rate over the rest of the month ({@link MonthEnd}). */
  private Bill.Forecast forecast(
      String namespace, YearMonth month, List<Bill.DailyUsage> daily, BigDecimal total, int minor) {
    double[] days = daily.stream().mapToDouble(d -> dayCost(namespace, d)).toArray();
    MonthEnd end = MonthEnd.of(days, store.calendar(), month, clock.instant());
    BigDecimal forecast =
        total
            .add(BigDecimal.valueOf(end.runRate() * end.remainingDays()))
            .setScale(minor, RoundingMode.HALF_UP);
    return new Bill.Forecast(forecast, end.method());
  }

  /** One day's cost at that day's prices, after the namespace's discount and tax. */
  private double dayCost(String namespace, Bill.DailyUsage day) {
    PriceVersion v = book.at(day.day());
    if (v == null) {
      return 0;
    }
    double cost = 0;
    for (Map.Entry<BillResource, Double> e : day.quantities().entrySet()) {
      if (e.getValue() != 0) {
        cost += e.getValue() * unitPrice(v, namespace, "", e.getKey()).doubleValue();
      }
    }
    // What ran on a class's nodes is in the day's quantities at the prices of no class; the
    // difference to the class's prices is added here.
    for (Map.Entry<String, Map<BillResource, Double>> c : day.classes().entrySet()) {
      for (Map.Entry<BillResource, Double> e : c.getValue().entrySet()) {
        if (e.getValue() != 0) {
          BillResource r = e.getKey();
          cost +=
              e.getValue()
                  * (unitPrice(v, namespace, c.getKey(), r).doubleValue()
                      - unitPrice(v, namespace, "", r).doubleValue());
        }
      }
    }
    return cost * (1 - v.discountFor(namespace).doubleValue()) * (1 + v.taxRate().doubleValue());
  }

  /**
   * A line's unit price under {@code v} on nodes of {@code nodeClass}: the namespace's own prices,
   * or the list prices for idle capacity (no namespace's terms apply to it).
   */
  private static BigDecimal unitPrice(
      PriceVersion v, String namespace, String group, BillResource line) {
    String nodeClass = BillLine.groupClass(group);
    return line.price(
        line.idle() ? v.listPrices(nodeClass) : v.pricesFor(namespace, nodeClass),
        BillLine.groupDevice(group));
  }

  /**
   * Each day's quantity of every line (in priced units) per node class, under the version in force
   * that day.
   */
  private Quantities quantities(MonthUsage usage, LocalDate first, LocalDate last) {
    BillingCalendar calendar = store.calendar();
    Map<PriceVersion, Map<String, Map<BillResource, Double>>> perVersion = new LinkedHashMap<>();
    List<Bill.DailyUsage> daily = new ArrayList<>();
    boolean unpriced = false;
    // A version's sums, looked up again only when the version changes: hashing a version (a
    // record holding maps) for every line of every day was a tenth of an overview's time.
    PriceVersion current = null;
    Map<String, Map<BillResource, Double>> sums = null;
    for (LocalDate day = first; !day.isAfter(last); day = day.plusDays(1)) {
      long start = calendar.startOf(day);
      PriceVersion v = book.at(day);
      if (v != null && v != current) {
        current = v;
        sums = perVersion.computeIfAbsent(v, k -> new LinkedHashMap<>());
      }
      Map<BillResource, Double> quantities = new EnumMap<>(BillResource.class);
      Map<String, Map<BillResource, Double>> classes = new LinkedHashMap<>();
      for (Map.Entry<String, double[]> c : usage.quantities(v, start).entrySet()) {
        String nodeClass = c.getKey();
        Map<BillResource, Double> classSums =
            v == null
                ? null
                : sums.computeIfAbsent(nodeClass, k -> new EnumMap<>(BillResource.class));
        Map<BillResource, Double> mine =
            nodeClass.isEmpty()
                ? null
                : classes.computeIfAbsent(nodeClass, k -> new EnumMap<>(BillResource.class));
        for (BillResource line : BillResource.values()) {
          double q = c.getValue()[line.ordinal()] / line.unitsPerPrice();
          quantities.merge(line, q, Double::sum);
          if (mine != null) {
            mine.put(line, q);
          }
          if (classSums != null) {
            classSums.merge(line, q, Double::sum);
          } else if (q > 0) {
            unpriced = true;
          }
        }
      }
      daily.add(new Bill.DailyUsage(day, quantities, classes.isEmpty() ? Map.of() : classes));
    }
    return new Quantities(perVersion, List.copyOf(daily), unpriced);
  }

  /** What the reader should know: unpriced days, idle cost without capacity, a basis fallback. */
  private List<String> notes(MonthUsage usage, Quantities quantities) {
    List<String> notes = new ArrayList<>();
    if (quantities.unpriced()) {
      notes.add(
          "usage before "
              + book.versions().getFirst().effectiveFrom()
              + " has no price and is not billed");
    }
    Set<PriceVersion> versions = quantities.perVersion().keySet();
    if (!usage.hasCapacity() && versions.stream().anyMatch(v -> v.idle() != IdlePolicy.IGNORE)) {
      notes.add("idle cost needs node capacity from node-exporter; none was metered");
    }
    if (!usage.hasRequests()) {
      versions.stream()
          .filter(v -> v.basis() != Basis.USAGE)
          .findFirst()
          .ifPresent(
              v ->
                  notes.add(
                      "basis "
                          + v.basis().name().toLowerCase(Locale.ROOT)
                          + " needs kube-state-metrics requests, none were metered: billed on"
                          + " usage"));
    }
    return List.copyOf(notes);
  }

  /**
   * One line per resource and version, rounded once; per version its discount and the tax on the
   * discounted amount. Idle capacity is priced at the list price: no namespace's terms apply to it.
   */
  private static Priced price(
      String namespace,
      Map<PriceVersion, Map<String, Map<BillResource, Double>>> perVersion,
      int minor) {
    boolean priceChanged = perVersion.size() > 1;
    List<Bill.Segment> segments = new ArrayList<>();
    List<BillLine> lines = new ArrayList<>();
    BigDecimal subtotal = zero(minor);
    BigDecimal discount = zero(minor);
    BigDecimal tax = zero(minor);
    for (Map.Entry<PriceVersion, Map<String, Map<BillResource, Double>>> e :
        perVersion.entrySet()) {
      PriceVersion v = e.getKey();
      BigDecimal segment = zero(minor);
      List<BillLine> segmentLines = new ArrayList<>();
      // Nodes of no class first, then the classes in the version's order; each class's GPU
      // devices after its other lines.
      List<String> groups = new ArrayList<>();
      List<String> classes = new ArrayList<>(List.of(""));
      v.nodeClasses().forEach(c -> classes.add(c.name()));
      for (String nodeClass : classes) {
        groups.add(nodeClass);
        if (nodeClass.isEmpty()) {
          e.getValue().keySet().stream()
              .filter(BillLine::storageGroup)
              .sorted()
              .forEach(groups::add);
        }
        e.getValue().keySet().stream()
            .filter(g -> BillLine.gpuGroup(g) && BillLine.groupClass(g).equals(nodeClass))
            .sorted()
            .forEach(groups::add);
      }
      for (String group : groups) {
        Map<BillResource, Double> quantities = e.getValue().get(group);
        if (quantities == null) {
          continue;
        }
        for (BillResource line : BillResource.values()) {
          BigDecimal quantity =
              BigDecimal.valueOf(quantities.getOrDefault(line, 0.0))
                  .setScale(QUANTITY_SCALE, RoundingMode.HALF_UP);
          if (quantity.signum() == 0) {
            continue;
          }
          BigDecimal unitPrice = unitPrice(v, namespace, group, line);
          BigDecimal amount = quantity.multiply(unitPrice).setScale(minor, RoundingMode.HALF_UP);
          segmentLines.add(
              new BillLine(
                  line,
                  priceChanged ? "from " + v.effectiveFrom() : "",
                  quantity,
                  unitPrice,
                  amount,
                  BillLine.groupClass(group),
                  BillLine.groupDevice(group)));
          segment = segment.add(amount);
        }
      }
      BigDecimal segmentDiscount =
          segment.multiply(v.discountFor(namespace)).setScale(minor, RoundingMode.HALF_UP);
      BigDecimal segmentTax =
          segment
              .subtract(segmentDiscount)
              .multiply(v.taxRate())
              .setScale(minor, RoundingMode.HALF_UP);
      lines.addAll(segmentLines);
      segments.add(new Bill.Segment(v, List.copyOf(segmentLines), segmentDiscount, segmentTax));
      subtotal = subtotal.add(segment);
      discount = discount.add(segmentDiscount);
      tax = tax.add(segmentTax);
    }
    return new Priced(List.copyOf(segments), List.copyOf(lines), subtotal, discount, tax);
  }

  private static BigDecimal zero(int minor) {
    return BigDecimal.ZERO.setScale(minor);
  }

  /** A digest per thread: looking one up costs more than hashing a bill number. */
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("SHA-256 is part of every JDK", e);
            }
          });

  /** Deterministic: the same namespace and month always get the same number. */
  static String billNumber(String namespace, YearMonth month) {
    MessageDigest sha = SHA256.get();
    sha.reset();
    byte[] hash = sha.digest((namespace + "\n" + month).getBytes(StandardCharsets.UTF_8));
    return "CB-"
        + month.toString().replace("-", "")
        + "-"
        + HexFormat.of().withUpperCase().formatHex(hash, 0, 4);
  }
}
