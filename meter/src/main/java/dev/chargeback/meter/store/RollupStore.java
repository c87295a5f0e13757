package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.time.Granularity;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.InstantSource;
import java.time.YearMonth;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Usage rollups over a {@link KeyValueStore}. The writer applies one {@link Ingest} per scrape as
 * one atomic batch (rollup increments at every granularity, all-time totals, the series' last
 * samples and the target's watermark), so a crash at any instant neither loses nor repeats usage.
 * Readers ask for buckets, sums and totals.
 */
public final class RollupStore implements AutoCloseable {
  private static final String META_ZONE = "billing/time_zone";

  private static final Granularity[] GRANULARITIES = Granularity.values();

  private final KeyValueStore kv;
  private final BillingCalendar calendar;

  /** Per granularity, how long buckets are kept; null keeps everything. */
  private volatile Map<Granularity, Duration> retention;

  private volatile InstantSource clock;

  private final Meta meta;
  private final NamespaceLabels labels;
  private final NodeLabels nodeLabels;
  private final NamespaceAnnotations annotations;
  private final HourSources hours;
  private final SeriesState series;
  private final StoreHealth health;
  private final ActiveWorkloads active;

  /** Other clusters' parts of this store (a central chargeback's), opened as asked for. */
  private final Map<String, RollupStore> clusters = new ConcurrentHashMap<>();

  public RollupStore(KeyValueStore kv, BillingCalendar calendar) {
    this(kv, calendar, InstantSource.system());
  }

  /**
   * A store whose present (the month the index starts, a write's time) is read from {@code clock}.
   */
  public RollupStore(KeyValueStore kv, BillingCalendar calendar, InstantSource clock) {
    this.kv = kv;
    this.calendar = calendar;
    this.clock = clock;
    this.meta = new Meta(kv, this::write);
    this.labels = new NamespaceLabels(meta);
    this.nodeLabels = new NodeLabels(meta);
    this.annotations = new NamespaceAnnotations(meta);
    this.hours = new HourSources(kv, meta);
    this.series = new SeriesState(kv, meta);
    this.health = new StoreHealth(meta);
    this.active = new ActiveWorkloads(kv, calendar);
    if (kv.writable()) {
      if (!(kv instanceof ClusterKeyValueStore)) {
        health.created(clock.millis() / 1000);
      }
      RollupFormat.ensure(kv, meta, this::write);
      SeriesState.ensureSnapshots(kv, meta, this::write);
      boolean[] hasData = {false};
      kv.scan(
          Family.TOTAL,
          new byte[0],
          null,
          (k, v) -> {
            hasData[0] = true;
            return false;
          });
      active.start(hasData[0], calendar.monthOf(clock.instant()));
    }
  }

  /**
   * Buckets older than their granularity's retention are not written at all (a replay or an import
   * of old history would otherwise write 5-minute buckets only for expiry to delete them).
   */
  public void retain(Map<Granularity, Duration> retention, InstantSource clock) {
    this.retention = Map.copyOf(retention);
    this.clock = clock;
    clusters.values().forEach(part -> part.retain(retention, clock));
  }

  private long[] cutoffs() {
    long[] cut = new long[GRANULARITIES.length];
    Map<Granularity, Duration> r = retention;
    long now = clock.millis() / 1000;
    for (Granularity g : GRANULARITIES) {
      Duration keep = r == null ? null : r.get(g);
      cut[g.ordinal()] = keep == null ? Long.MIN_VALUE : now - keep.toSeconds();
    }
    return cut;
  }

  /**
   * Another cluster's part of this store (a central chargeback imports each cluster's usage into
   * its own part): the same families and layouts, its own hour sources, in this store's batches.
   */
  public RollupStore cluster(String name) {
    return clusters.computeIfAbsent(
        name,
        n -> {
          RollupStore part = new RollupStore(new ClusterKeyValueStore(kv, n), calendar, clock);
          if (retention != null) {
            part.retain(retention, clock);
          }
          return part;
        });
  }

  /** The other clusters with usage in this store, by name. */
  public List<String> clusters() {
    List<String> names = new ArrayList<>();
    kv.seekEach(
        Family.TOTAL,
        new byte[] {ClusterKeyValueStore.MARK},
        (k, v) -> {
          if (k.length < 3 || k[0] != ClusterKeyValueStore.MARK) {
            return null;
          }
          int len = ((k[1] & 0xFF) << 8) | (k[2] & 0xFF);
          names.add(new String(k, 3, len, StandardCharsets.UTF_8));
          return Keys.prefixEnd(Arrays.copyOf(k, 3 + len));
        });
    names.sort(null);
    return names;
  }

  /** Named values: health counters, settings, price versions. */
  public Meta meta() {
    return meta;
  }

  /** Namespaces' {@code chargeback.dev/} annotations, as discovery last saw them. */
  public NamespaceAnnotations annotations() {
    return annotations;
  }

  /** Namespaces' labels per month. */
  public NamespaceLabels labels() {
    return labels;
  }

  /** Nodes' labels over time (the keys node classes select on). */
  public NodeLabels nodeLabels() {
    return nodeLabels;
  }

  /** Each hour's source: live or imported. */
  public HourSources hours() {
    return hours;
  }

  /** Each target's last samples and scrape. */
  public SeriesState series() {
    return series;
  }

  /** Health counters and whether writes succeed. */
  public StoreHealth health() {
    return health;
  }

  public BillingCalendar calendar() {
    return calendar;
  }

  public KeyValueStore keyValueStore() {
    return kv;
  }

  /** Makes the primary's latest writes visible (a no-op on the writer). */
  public void catchUp() {
    kv.catchUp();
  }

  /** Grows with every write visible here: what was read stays true while it is the same. */
  public long sequence() {
    return kv.sequence();
  }

  // ---- writing

  /**
   * Applies one scrape: all of it, or (on failure, with an exception) none of it. The hours its
   * usage touches become live hours; usage that falls into imported hours is left out (hours have
   * one source).
   */
  public void apply(Ingest ingest) {
    apply(List.of(ingest));
  }

  /**
   * Applies several scrapes in one batch: all of them, or none. Increments of the same key are
   * added up first, so scrapes of many nodes write a namespace's buckets once.
   */
  public synchronized void apply(List<Ingest> ingests) {
    Increments increments = new Increments(calendar, cutoffs());
    List<Usage> usages = new ArrayList<>();
    for (Ingest ingest : ingests) {
      List<Usage> kept = hours.withoutImported(ingest.usages());
      count(increments, kept);
      usages.addAll(kept);
      if (ingest.coveredMillis() > 0) {
        RollupKey covered = new RollupKey(Scope.CLUSTER, ingest.target(), "", Resource.COVERED);
        long from = ingest.scrapeMillis() - ingest.coveredMillis();
        long units = Resource.COVERED.units(ingest.coveredMillis() / 1000.0);
        increments.count(covered, increments.split(from, ingest.scrapeMillis(), units));
      }
    }
    // Room for each scrape's last samples (32 bytes a series) and the rest.
    int snapshots = 0;
    for (Ingest ingest : ingests) {
      snapshots += 32 * ingest.series().size() + 256;
    }
    Batch batch = kv.batch(increments.bytes() + snapshots + 4096);
    increments.writeTo(batch);
    Set<String> activeIds = new HashSet<>();
    batch.addAll(active.entries(usages, activeIds));
    List<Long> newHours = new ArrayList<>();
    batch.addAll(hours.liveMarks(usages, newHours));
    for (Ingest ingest : ingests) {
      batch.addAll(SeriesState.writes(ingest));
    }
    batch.addAll(health.ingested(ingests));
    write(batch);
    remember(
        () -> {
          newHours.forEach(h -> hours.remember(h, HourSources.LIVE));
          active.written(activeIds);
        });
  }

  /**
   * Updates the writer's memory after a successful write. An Error on the way (out of memory) would
   * leave it behind the store, so it is then dropped and reloaded from the store.
   */
  private void remember(Runnable update) {
    try {
      update.run();
    } catch (RuntimeException | Error e) {
      forgetMemory();
      throw e;
    }
  }

  /** Drops what the writer remembers of the store; it is read again from the store as needed. */
  private synchronized void forgetMemory() {
    active.forget();
    hours.reload();
  }

  /**
   * Applies imported usage of one UTC hour in one batch and marks the hour imported, unless the
   * hour already has a source (live metering, or an earlier import): then nothing is written.
   *
   * @param usages usage within {@code [hour, hour + 1h)}
   * @return whether the hour was written
   */
  public synchronized boolean applyImported(long hourStartMillis, List<Usage> usages) {
    long hour = HourSources.hourOf(hourStartMillis);
    if (hours.has(hour)) {
      return false;
    }
    Increments increments = increments(usages);
    Batch batch = kv.batch(increments.bytes() + 4096);
    increments.writeTo(batch);
    batch.add(HourSources.mark(hour, HourSources.IMPORTED));
    Set<String> activeIds = new HashSet<>();
    batch.addAll(active.entries(usages, activeIds));
    write(batch);
    remember(
        () -> {
          hours.remember(hour, HourSources.IMPORTED);
          active.written(activeIds);
        });
    return true;
  }

  /**
   * Adds more imported usage to an hour this import already wrote (a counter's delta across a long
   * gap reaching back into it); nothing when the hour is not an imported one.
   */
  public synchronized void appendImported(long hourStartMillis, List<Usage> usages) {
    if (!HourSources.IMPORTED.equals(hours.of(hourStartMillis))) {
      return;
    }
    Increments increments = increments(usages);
    Batch batch = kv.batch(increments.bytes() + 4096);
    increments.writeTo(batch);
    Set<String> activeIds = new HashSet<>();
    batch.addAll(active.entries(usages, activeIds));
    write(batch);
    remember(() -> active.written(activeIds));
  }

  /**
   * Every usage's increments, in whole quanta of its resource, for each granularity's buckets
   * (within retention) and totals: each usage is rounded once, and its buckets at every granularity
   * add up to exactly that.
   */
  private Increments increments(List<Usage> usages) {
    Increments increments = new Increments(calendar, cutoffs());
    count(increments, usages);
    return increments;
  }

  private void count(Increments increments, List<Usage> usages) {
    for (Usage u : usages) {
      Increments.Split split =
          increments.split(u.fromMillis(), u.toMillis(), u.resource().units(u.amount()));
      for (RollupKey key : fanOut(u)) {
        increments.count(key, split);
      }
      for (RollupKey key : placements(u)) {
        increments.countDays(key, split);
      }
    }
  }

  /**
   * The placement days a usage also counts in: on a node whose labels are recorded, the namespace's
   * usage on that label set, and the cluster's CPU and memory use and capacity there (what idle
   * cost per node class needs).
   */
  private List<RollupKey> placements(Usage u) {
    Resource r = u.resource();
    if (r.isGpu()) {
      return gpuPlacements(u);
    }
    if (r == Resource.STORAGE && !u.device().isEmpty()) {
      // Claims by StorageClass ("sc/NAME"), for classes priced apart.
      return u.namespace().isEmpty()
          ? List.of()
          : List.of(new RollupKey(Scope.PLACEMENT, u.namespace(), "sc/" + u.device(), r));
    }
    if (u.node().isEmpty() || r.isCost() || r == Resource.COVERED) {
      return List.of();
    }
    String placement = placementOf(u);
    if (placement == null) {
      return List.of();
    }
    boolean cluster =
        r == Resource.CPU
            || r == Resource.MEMORY
            || r == Resource.CAPACITY_CPU
            || r == Resource.CAPACITY_MEMORY;
    List<RollupKey> keys = new ArrayList<>(2);
    if (!u.namespace().isEmpty()) {
      keys.add(new RollupKey(Scope.PLACEMENT, u.namespace(), placement, r));
    }
    if (cluster) {
      keys.add(new RollupKey(Scope.PLACEMENT, "", placement, r));
    }
    return keys;
  }

  /**
   * GPU time is always kept per device ({@code PLACEMENT#DEVICE}, the placement "" where the node's
   * labels are not recorded): the namespace's, and the cluster's (for idle GPUs).
   */
  private List<RollupKey> gpuPlacements(Usage u) {
    String placement = u.node().isEmpty() ? null : placementOf(u);
    String where = (placement == null ? "" : placement) + "#" + u.device();
    List<RollupKey> keys = new ArrayList<>(2);
    if (!u.namespace().isEmpty()) {
      keys.add(new RollupKey(Scope.PLACEMENT, u.namespace(), where, u.resource()));
    }
    keys.add(new RollupKey(Scope.PLACEMENT, "", where, u.resource()));
    return keys;
  }

  /** The placement of a usage's node where its span is centred, or null. */
  private String placementOf(Usage u) {
    // A relabel at 14:00 leaves 13:00–14:00 with the old class.
    return nodeLabels.placementAt(
        u.node(), (u.fromMillis() + (u.toMillis() - u.fromMillis()) / 2) / 1000);
  }

  /**
   * Writes one batch through {@link #writeHealth}: a failure is recorded (and thrown), and the
   * first batch that succeeds afterwards also adds the failures to the stored counter.
   */
  private void write(List<Write> writes) {
    write(kv.batchOf(writes));
  }

  /** As {@link #write(List)}, a batch built here. */
  private synchronized void write(Batch batch) {
    WriteHealth writeHealth = health.writes();
    long unrecorded = writeHealth.unrecorded();
    if (unrecorded > 0) {
      batch.add(health.writesFailed(unrecorded));
    }
    try {
      kv.write(batch);
    } catch (StoreException e) {
      // RocksDB applied none of the batch: the writer's memory still matches the store.
      writeHealth.failed(e, clock.millis());
      throw e;
    } catch (RuntimeException | Error e) {
      // Anything else may have struck after the batch landed.
      forgetMemory();
      throw e;
    }
    writeHealth.succeeded(unrecorded, clock.millis());
  }

  /** Counts a failed scrape of {@code target} (read by the exporter's health metrics). */
  public synchronized void recordScrapeError(String target) {
    write(List.of(health.scrapeFailed(target)));
  }

  static Family family(Granularity g) {
    return switch (g) {
      case FIVE_MINUTES -> Family.R5M;
      case HOUR -> Family.R1H;
      case DAY -> Family.R1D;
    };
  }

  /** The scopes one usage counts in. */
  private static List<RollupKey> fanOut(Usage u) {
    List<RollupKey> keys = new ArrayList<>(3);
    if (!u.namespace().isEmpty()) {
      keys.add(RollupKey.namespace(u.namespace(), u.resource()));
      if (!u.workload().isEmpty()) {
        keys.add(RollupKey.workload(u.namespace(), u.workload(), u.resource()));
      }
    } else if (!u.node().isEmpty()) {
      keys.add(new RollupKey(Scope.NODE, u.node(), "", u.resource()));
    }
    keys.add(new RollupKey(Scope.CLUSTER, "", "", u.resource()));
    return keys;
  }

  /** Deletes written at once by retention: bounded memory however many series exist. */
  static final int EXPIRY_BATCH = 4096;

  /**
   * Keys one retention run visits at most per family: its work is bounded however many series
   * exist. Under 100,000 new pods a day about 300,000 five-minute buckets expire an hour, so an
   * hourly run keeps up with room to spare.
   */
  public static final int EXPIRY_KEYS_PER_RUN = 1_000_000;

  /** Where each family's retention walk resumes (the retention thread's own). */
  private final Map<Family, byte[]> expiryCursor = new ConcurrentHashMap<>();

  /** Removes buckets of {@code g} that start before {@code cutoffSeconds}, in one whole pass. */
  public void expire(Granularity g, long cutoffSeconds) {
    expiryCursor.remove(family(g));
    expire(g, cutoffSeconds, Integer.MAX_VALUE);
  }

  /**
   * Removes buckets of {@code g} that start before {@code cutoffSeconds}, visiting at most {@code
   * maxKeys} keys from where the previous run stopped. The walk visits each series' expired buckets
   * (its oldest first) and one more key, then seeks to the next series; it deletes in batches of
   * {@link #EXPIRY_BATCH}, and ingest runs between batches. Under pod churn a family holds millions
   * of series; each run then does a bounded part, and a pass takes several runs (an old bucket
   * outlives its retention by at most that long).
   *
   * <p>Each bucket gets a point delete, not a range delete per series: RocksDB keeps every SST
   * file's range deletions in memory outside its cache and checks them on every read, and under
   * churn retention wrote hundreds of thousands of them a day.
   *
   * @return whether this run finished a pass over the family (the next one starts over)
   */
  public boolean expire(Granularity g, long cutoffSeconds, int maxKeys) {
    Family f = family(g);
    List<Write> batch = new ArrayList<>(EXPIRY_BATCH);
    int[] visited = {0};
    byte[][] stoppedAt = {null};
    kv.seekEach(
        f,
        expiryCursor.getOrDefault(f, new byte[0]),
        (k, v) -> {
          byte[] next;
          if (Keys.decodeBucket(k) < cutoffSeconds) {
            batch.add(new Write.Delete(f, k));
            if (batch.size() >= EXPIRY_BATCH) {
              deleteExpired(batch);
              batch.clear();
            }
            next = Arrays.copyOf(k, k.length + 1); // the key right after this one
          } else {
            next = Keys.prefixEnd(Arrays.copyOf(k, k.length - 8)); // the next series
          }
          if (++visited[0] >= maxKeys && next != null) {
            stoppedAt[0] = next;
            return null;
          }
          return next;
        });
    if (!batch.isEmpty()) {
      deleteExpired(batch);
    }
    if (stoppedAt[0] == null) {
      expiryCursor.remove(f);
      return true;
    }
    expiryCursor.put(f, stoppedAt[0]);
    return false;
  }

  private synchronized void deleteExpired(List<Write> deletes) {
    write(deletes);
  }

  // ---- reading

  /**
   * The workloads of {@code namespace} with usage in {@code month}, read from the month's index;
   * null for a month from before the index existed (then scan the namespace's workloads).
   */
  public List<String> activeWorkloads(String namespace, YearMonth month) {
    return active.workloads(namespace, month);
  }

  /** The buckets of each series in [fromSeconds, toSeconds), in time order, in one pass. */
  public Map<RollupKey, List<Rollup>> rollups(
      Granularity g, List<RollupKey> keys, long fromSeconds, long toSeconds) {
    List<byte[][]> ranges = new ArrayList<>(keys.size());
    Map<RollupKey, List<Rollup>> out = new LinkedHashMap<>();
    for (RollupKey k : keys) {
      ranges.add(new byte[][] {Keys.rollup(k, fromSeconds), Keys.rollup(k, toSeconds)});
      out.put(k, new ArrayList<>());
    }
    kv.scanRanges(
        family(g),
        ranges,
        (range, k, v) -> {
          RollupKey key = keys.get(range);
          out.get(key).add(new Rollup(key, Keys.decodeBucket(k), Keys.sum(key.resource(), v)));
          return true;
        });
    return out;
  }

  /** The buckets of one series in [fromSeconds, toSeconds), in time order. */
  public List<Rollup> rollups(Granularity g, RollupKey key, long fromSeconds, long toSeconds) {
    List<Rollup> out = new ArrayList<>();
    kv.scan(
        family(g),
        Keys.rollup(key, fromSeconds),
        Keys.rollup(key, toSeconds),
        (k, v) -> out.add(new Rollup(key, Keys.decodeBucket(k), Keys.sum(key.resource(), v))));
    return out;
  }

  /** The sum of one series over [fromSeconds, toSeconds). */
  public double sum(Granularity g, RollupKey key, long fromSeconds, long toSeconds) {
    Sum sum = new Sum();
    kv.scan(
        family(g),
        Keys.rollup(key, fromSeconds),
        Keys.rollup(key, toSeconds),
        (k, v) -> {
          sum.add(v);
          return true;
        });
    return sum.amount(key.resource());
  }

  /** The sums of many series over [fromSeconds, toSeconds), in one pass. */
  public Map<RollupKey, Double> sums(
      Granularity g, List<RollupKey> keys, long fromSeconds, long toSeconds) {
    List<byte[][]> ranges = new ArrayList<>(keys.size());
    for (RollupKey k : keys) {
      ranges.add(new byte[][] {Keys.rollup(k, fromSeconds), Keys.rollup(k, toSeconds)});
    }
    Sum[] sums = new Sum[keys.size()];
    Arrays.setAll(sums, i -> new Sum());
    kv.scanRanges(
        family(g),
        ranges,
        (range, k, v) -> {
          sums[range].add(v);
          return true;
        });
    Map<RollupKey, Double> out = new HashMap<>(keys.size() * 2);
    for (int i = 0; i < keys.size(); i++) {
      out.put(keys.get(i), sums[i].amount(keys.get(i).resource()));
    }
    return out;
  }

  /** All-time totals of every series of one scope, by key, in key order. */
  public Map<RollupKey, Rollup> totals(Scope scope) {
    Map<RollupKey, Rollup> out = new LinkedHashMap<>();
    eachTotal(scope, r -> out.put(r.key(), r));
    return out;
  }

  /**
   * The all-time total of every series of one scope, in key order: an owner's series are
   * neighbours, ordered by workload and resource (owners in their UTF-8 bytes' order).
   */
  public void eachTotal(Scope scope, Consumer<Rollup> each) {
    eachTotal(new byte[] {(byte) scope.code}, new byte[] {(byte) (scope.code + 1)}, each);
  }

  /** The totals with keys in [from, to), all of one scope, in key order. */
  private void eachTotal(byte[] from, byte[] to, Consumer<Rollup> each) {
    // An owner's resources' keys differ in the last byte only, and share the decoded owner and
    // workload.
    RollupKey[] previous = {null};
    byte[][] previousKey = {new byte[0]};
    kv.scan(
        Family.TOTAL,
        from,
        to,
        (k, v) -> {
          RollupKey last = previous[0];
          byte[] lastKey = previousKey[0];
          RollupKey key =
              last != null
                      && k.length == lastKey.length
                      && Arrays.equals(k, 0, k.length - 1, lastKey, 0, k.length - 1)
                  ? new RollupKey(
                      last.scope(), last.owner(), last.workload(), Resource.ofCode(k[k.length - 1]))
                  : Keys.decodeSeries(k);
          previous[0] = key;
          previousKey[0] = k;
          each.accept(new Rollup(key, 0, Keys.sum(key.resource(), v)));
          return true;
        });
  }

  /** Per scope, the key in the middle of its totals when they were last read in order. */
  private final Map<Scope, byte[]> totalsMiddle = new ConcurrentHashMap<>();

  /**
   * The all-time totals of one scope in key order, as {@link #eachTotal} gives them, read as two
   * halves at once (split where the last read found its middle; the first read is whole). At 10,000
   * namespaces reading the 90,000 totals, four calls through JNI each, was half of a {@code
   * /metrics} scrape.
   */
  public List<Rollup> totalsInOrder(Scope scope) {
    byte[] from = {(byte) scope.code};
    byte[] to = {(byte) (scope.code + 1)};
    byte[] middle = totalsMiddle.get(scope);
    List<Rollup> out = new ArrayList<>();
    if (middle == null) {
      eachTotal(from, to, out::add);
    } else {
      CompletableFuture<List<Rollup>> second =
          CompletableFuture.supplyAsync(
              () -> {
                List<Rollup> part = new ArrayList<>();
                eachTotal(middle, to, part::add);
                return part;
              },
              task -> Thread.ofVirtual().name("totals").start(task));
      eachTotal(from, middle, out::add);
      try {
        out.addAll(second.join());
      } catch (CompletionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : e;
      }
    }
    if (out.size() >= 2) {
      totalsMiddle.put(scope, Keys.series(out.get(out.size() / 2).key()));
    }
    return out;
  }

  /**
   * Sums per series of day buckets in [fromSeconds, toSeconds) for every series of one owner (e.g.
   * all workloads of a namespace), by key.
   */
  public Map<RollupKey, Double> sumsByOwner(
      Granularity g, Scope scope, String owner, long fromSeconds, long toSeconds) {
    Map<RollupKey, Sum> sums = new LinkedHashMap<>();
    byte[] prefix = Keys.ownerPrefix(scope, owner);
    kv.scan(
        family(g),
        prefix,
        Keys.prefixEnd(prefix),
        (k, v) -> {
          long bucket = Keys.decodeBucket(k);
          if (bucket >= fromSeconds && bucket < toSeconds) {
            sums.computeIfAbsent(Keys.decodeSeries(k), key -> new Sum()).add(v);
          }
          return true;
        });
    Map<RollupKey, Double> out = new LinkedHashMap<>();
    sums.forEach((key, sum) -> out.put(key, sum.amount(key.resource())));
    return out;
  }

  /**
   * The buckets in [fromSeconds, toSeconds) of every series of one owner (e.g. a namespace's
   * placements), in key order; each series' other buckets are skipped by seeking, so the cost
   * follows the range read, not the history kept.
   */
  public List<Rollup> bucketsByOwner(
      Granularity g, Scope scope, String owner, long fromSeconds, long toSeconds) {
    List<Rollup> out = new ArrayList<>();
    byte[] prefix = Keys.ownerPrefix(scope, owner);
    kv.seekEach(
        family(g),
        prefix,
        (k, v) -> {
          if (k.length < prefix.length + 8
              || !Arrays.equals(k, 0, prefix.length, prefix, 0, prefix.length)) {
            return null;
          }
          byte[] series = Arrays.copyOf(k, k.length - 8);
          long bucket = Keys.decodeBucket(k);
          if (bucket < fromSeconds) {
            return Keys.rollup(Keys.decodeSeries(k), fromSeconds);
          }
          if (bucket >= toSeconds) {
            return Keys.prefixEnd(series);
          }
          RollupKey key = Keys.decodeSeries(k);
          out.add(new Rollup(key, bucket, Keys.sum(key.resource(), v)));
          return Arrays.copyOf(k, k.length + 1);
        });
    return out;
  }

  /**
   * Records the billing zone on first start. A later change applies to new data only; the previous
   * zone is returned so the caller can say so (null when unchanged).
   */
  public String fixZone(ZoneId zone) {
    String stored = meta.text(META_ZONE);
    if (zone.getId().equals(stored)) {
      return null;
    }
    meta.put(META_ZONE, zone.getId());
    return stored;
  }

  @Override
  public void close() {
    kv.close();
  }
}
