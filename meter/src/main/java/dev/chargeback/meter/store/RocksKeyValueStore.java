package dev.chargeback.meter.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.IndexType;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.UInt64AddOperator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

/**
 * RocksDB behind {@link KeyValueStore}. One process writes (RocksDB's lock file enforces it);
 * others open the same directory as a read-only secondary and {@link #catchUp()}. Memory is
 * bounded: one shared block cache and small memtables. Every native handle is freed by {@link
 * #close()}, which waits for calls in flight; a call after it fails with {@link StoreException} (a
 * freed handle would crash the JVM).
 */
public final class RocksKeyValueStore implements KeyValueStore {
  static {
    RocksDB.loadLibrary();
  }

  private final Path path;
  private final boolean primary;
  private final List<AutoCloseable> resources = new ArrayList<>();
  private final Map<Family, ColumnFamilyHandle> handles = new HashMap<>();

  /** Each family's column family id, by ordinal: how a {@link Batch} names it. */
  private final int[] familyIds = new int[Family.values().length];

  private final WriteOptions writeOptions;
  private final RocksDB db;

  /** Calls share it; close() takes it alone, so no call runs on freed native handles. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

  private boolean closed;

  /** A temporary directory of this instance's own, deleted on close; null for none. */
  private Path ownedDirectory;

  private RocksKeyValueStore(Path path, Path secondaryPath, boolean syncWrites) {
    this.path = path;
    this.primary = secondaryPath == null;
    try {
      // One memory budget for RocksDB: 48 MiB of block cache, of which memtables may take 16
      // MiB (a write buffer manager charges them to the cache), so the store's memory is bounded
      // whatever the number of column families and however fast the writes come.
      // A fifth of it is kept for index and filter blocks (high priority), so data blocks read by
      // scans do not push out what every lookup needs.
      LRUCache cache = own(new LRUCache(48L << 20, -1, false, 0.2));
      WriteBufferManager memtables = own(new WriteBufferManager(16L << 20, cache));
      // Point lookups (a series' last samples, an hour's source, the month's active workloads)
      // often ask for keys that do not exist yet: a Bloom filter answers them without touching
      // SST blocks.
      BloomFilter bloom = own(new BloomFilter(10));
      ColumnFamilyOptions cfOptions =
          own(new ColumnFamilyOptions())
              // Rollups are added to with merge operands (Write.Add): no read before a write.
              .setMergeOperator(own(new UInt64AddOperator()))
              .setWriteBufferSize(4L << 20)
              .setMaxWriteBufferNumber(2)
              .setTableFormatConfig(
                  // Partitioned filters and indexes: a lookup loads one small partition of a
                  // file's Bloom filter, not the whole filter. Under pod churn most lookups are
                  // for keys that do not exist yet, and whole filters of large files (megabytes)
                  // were read into the cache again and again: 60 µs a lookup, a third of the
                  // writer's CPU in copying filter blocks (perf, the churn bench's month).
                  new BlockBasedTableConfig()
                      .setBlockCache(cache)
                      .setFilterPolicy(bloom)
                      .setIndexType(IndexType.kTwoLevelIndexSearch)
                      .setPartitionFilters(true)
                      .setMetadataBlockSize(4096)
                      .setCacheIndexAndFilterBlocks(true)
                      .setCacheIndexAndFilterBlocksWithHighPriority(true)
                      .setPinTopLevelIndexAndFilter(true)
                      .setPinL0FilterAndIndexBlocksInCache(true));
      DBOptions dbOptions =
          own(new DBOptions())
              .setCreateIfMissing(primary)
              .setCreateMissingColumnFamilies(primary)
              .setWriteBufferManager(memtables)
              .setKeepLogFileNum(3)
              // No preallocated WAL blocks: on a full volume the next write fails at once (and
              // the free-space gauge and the failing writes agree), instead of after up to a
              // memtable's worth of preallocated log. At a few writes a second it costs nothing.
              .setAllowFAllocate(false)
              .setMaxTotalWalSize(64L << 20);
      List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
      descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions));
      for (Family f : Family.values()) {
        descriptors.add(new ColumnFamilyDescriptor(f.cfName.getBytes(), cfOptions));
      }
      List<ColumnFamilyHandle> opened = new ArrayList<>();
      if (primary) {
        Files.createDirectories(path);
        db = RocksDB.open(dbOptions, path.toString(), descriptors, opened);
      } else {
        if (!Files.isDirectory(path) || !Files.exists(path.resolve("CURRENT"))) {
          throw new StoreException("no chargeback data at " + path + " (has the meter started?)");
        }
        Files.createDirectories(secondaryPath);
        dbOptions.setMaxOpenFiles(-1);
        db =
            RocksDB.openAsSecondary(
                dbOptions, path.toString(), secondaryPath.toString(), descriptors, opened);
      }
      handles.put(null, opened.get(0));
      for (int i = 0; i < Family.values().length; i++) {
        handles.put(Family.values()[i], opened.get(i + 1));
        familyIds[i] = opened.get(i + 1).getID();
      }
      writeOptions = own(new WriteOptions()).setSync(syncWrites);
    } catch (RocksDBException e) {
      closeResources();
      throw wrap("cannot open", e);
    } catch (IOException e) {
      closeResources();
      throw new StoreException("cannot create data directory " + path + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      closeResources();
      throw e;
    }
  }

  /**
   * Opens (creating if needed) the writable store at {@code path}. Fails with a clear message when
   * another process already writes there.
   *
   * @param syncWrites fsync each batch (live metering); off for bulk replays that flush at the end
   */
  public static RocksKeyValueStore openPrimary(Path path, boolean syncWrites) {
    return new RocksKeyValueStore(path, null, syncWrites);
  }

  /** Opens a read-only view of another process's store; {@link #catchUp()} refreshes it. */
  public static RocksKeyValueStore openSecondary(Path path, Path secondaryPath) {
    return new RocksKeyValueStore(path, secondaryPath, false);
  }

  /**
   * A read-only view whose own files (RocksDB's secondary log and info) go to a temporary directory
   * that is deleted on close (or when opening fails), so restarts leave nothing behind.
   */
  public static RocksKeyValueStore openSecondary(Path path) {
    Path own;
    try {
      own = Files.createTempDirectory("chargeback-secondary");
    } catch (IOException e) {
      throw new StoreException("cannot create a directory for the secondary instance", e);
    }
    try {
      RocksKeyValueStore store = openSecondary(path, own);
      store.ownedDirectory = own;
      return store;
    } catch (RuntimeException e) {
      deleteTree(own);
      throw e;
    }
  }

  /** This instance's own temporary directory, or null (for tests). */
  Path ownedDirectory() {
    return ownedDirectory;
  }

  /** Deletes a directory and everything in it, as far as it can. */
  public static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // Already gone, or unreadable: nothing more to do.
    }
  }

  private <T extends AutoCloseable> T own(T resource) {
    resources.add(resource);
    return resource;
  }

  private StoreException wrap(String action, RocksDBException e) {
    String status = e.getMessage() == null ? String.valueOf(e.getStatus()) : e.getMessage();
    if (status.contains("lock") || status.contains("LOCK")) {
      return new StoreException(
          "data directory "
              + path
              + " is already open by another chargeback writer (meter, standalone, demo or"
              + " import); stop it, or send the work to the running meter's admin endpoint",
          e);
    }
    return new StoreException(action + " RocksDB store at " + path + ": " + status, e);
  }

  /** Runs {@code call} on the open store; fails with a StoreException once it is closed. */
  private <T> T open(Supplier<T> call) {
    ReentrantReadWriteLock.ReadLock lock = lifecycle.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new StoreException("the store at " + path + " is closed");
      }
      return call.get();
    } finally {
      lock.unlock();
    }
  }

  private void open(Runnable call) {
    open(
        () -> {
          call.run();
          return null;
        });
  }

  @Override
  public byte[] get(Family family, byte[] key) {
    return open(
        () -> {
          try {
            return db.get(handles.get(family), key);
          } catch (RocksDBException e) {
            throw wrap("cannot read", e);
          }
        });
  }

  @Override
  public void scan(Family family, byte[] from, byte[] to, Visitor visitor) {
    open(() -> scanOpen(family, from, to, visitor));
  }

  private void scanOpen(Family family, byte[] from, byte[] to, Visitor visitor) {
    try (ReadOptions options = new ReadOptions();
        Slice upper = to == null ? null : new Slice(to)) {
      if (upper != null) {
        options.setIterateUpperBound(upper);
      }
      try (RocksIterator it = db.newIterator(handles.get(family), options)) {
        for (it.seek(from); it.isValid(); it.next()) {
          if (!visitor.visit(it.key(), it.value())) {
            return;
          }
        }
        it.status();
      }
    } catch (RocksDBException e) {
      throw wrap("cannot scan", e);
    }
  }

  @Override
  public void seekEach(Family family, byte[] from, Seeker seeker) {
    open(
        () -> {
          try (ReadOptions options = new ReadOptions();
              RocksIterator it = db.newIterator(handles.get(family), options)) {
            for (byte[] position = from; position != null; ) {
              it.seek(position);
              if (!it.isValid()) {
                it.status();
                return;
              }
              position = seeker.next(it.key(), it.value());
            }
          } catch (RocksDBException e) {
            throw wrap("cannot scan", e);
          }
        });
  }

  @Override
  public void scanRanges(Family family, List<byte[][]> ranges, RangeVisitor visitor) {
    open(() -> scanRangesOpen(family, ranges, visitor));
  }

  private void scanRangesOpen(Family family, List<byte[][]> ranges, RangeVisitor visitor) {
    try (ReadOptions options = new ReadOptions();
        RocksIterator it = db.newIterator(handles.get(family), options)) {
      for (int r = 0; r < ranges.size(); r++) {
        byte[] to = ranges.get(r)[1];
        for (it.seek(ranges.get(r)[0]); it.isValid(); it.next()) {
          byte[] key = it.key();
          if (to != null && Arrays.compareUnsigned(key, to) >= 0) {
            break;
          }
          if (!visitor.visit(r, key, it.value())) {
            break;
          }
        }
        it.status();
      }
    } catch (RocksDBException e) {
      throw wrap("cannot scan", e);
    }
  }

  @Override
  public Batch batch(int bytes) {
    return new Batch(familyIds, new byte[0], bytes);
  }

  @Override
  public void write(Batch batch) {
    if (!primary) {
      throw new StoreException("the store at " + path + " is open read-only");
    }
    if (!batch.of(familyIds)) {
      throw new IllegalArgumentException("a batch of another store");
    }
    open(
        () -> {
          try (WriteBatch written = new WriteBatch(batch.bytes())) {
            db.write(writeOptions, written);
          } catch (RocksDBException e) {
            throw wrap("cannot write to", e);
          }
        });
  }

  @Override
  public void catchUp() {
    if (primary) {
      return;
    }
    open(
        () -> {
          try {
            db.tryCatchUpWithPrimary();
          } catch (RocksDBException e) {
            throw wrap("cannot catch up with", e);
          }
        });
  }

  @Override
  public long sequence() {
    return open(() -> db.getLatestSequenceNumber());
  }

  @Override
  public boolean writable() {
    return primary;
  }

  @Override
  public void checkpoint(Path dir) {
    open(
        () -> {
          try (Checkpoint checkpoint = Checkpoint.create(db)) {
            checkpoint.createCheckpoint(dir.toString());
          } catch (RocksDBException e) {
            throw wrap("cannot checkpoint to " + dir + " from", e);
          }
        });
  }

  /** Flushes memtables to SST files (after a bulk replay without fsync). */
  public void flush() {
    open(
        () -> {
          try (FlushOptions options = new FlushOptions().setWaitForFlush(true)) {
            for (Family f : Family.values()) {
              db.flush(options, handles.get(f));
            }
          } catch (RocksDBException e) {
            throw wrap("cannot flush", e);
          }
        });
  }

  /** Flushes, then compacts every family fully (e.g. before measuring the store's size). */
  public void compact() {
    flush();
    open(
        () -> {
          try {
            for (Family f : Family.values()) {
              db.compactRange(handles.get(f));
            }
          } catch (RocksDBException e) {
            throw wrap("cannot compact", e);
          }
        });
  }

  /**
   * RocksDB's own account of its memory, in bytes, over all column families: {@code table-readers}
   * (index and filter blocks held outside the cache), {@code memtables}, {@code cache} (the block
   * cache, memtables charged to it included) and {@code pinned} (cache entries in use).
   */
  public Map<String, Long> memory() {
    return open(
        () -> {
          Map<String, Long> out = new LinkedHashMap<>();
          try {
            long readers = 0;
            long memtables = 0;
            for (ColumnFamilyHandle h : handles.values()) {
              readers += db.getLongProperty(h, "rocksdb.estimate-table-readers-mem");
              memtables += db.getLongProperty(h, "rocksdb.cur-size-all-mem-tables");
            }
            ColumnFamilyHandle any = handles.get(null);
            out.put("table-readers", readers);
            out.put("memtables", memtables);
            out.put("cache", db.getLongProperty(any, "rocksdb.block-cache-usage"));
            out.put("pinned", db.getLongProperty(any, "rocksdb.block-cache-pinned-usage"));
          } catch (RocksDBException e) {
            throw wrap("cannot read memory properties", e);
          }
          return out;
        });
  }

  /** Bytes of one family's SST files (RocksDB's {@code total-sst-files-size}). */
  public long sstBytes(Family family) {
    return Long.parseLong(property(family, "rocksdb.total-sst-files-size").strip());
  }

  /**
   * RocksDB's aggregated table properties of one family (data, index and filter sizes, raw key and
   * value bytes, entries), as RocksDB prints them.
   */
  public String tableProperties(Family family) {
    return property(family, "rocksdb.aggregated-table-properties");
  }

  private String property(Family family, String name) {
    return open(
        () -> {
          try {
            return db.getProperty(handles.get(family), name);
          } catch (RocksDBException e) {
            throw wrap("cannot read property " + name, e);
          }
        });
  }

  /** Bytes of the store's SST files. */
  public long sstBytes() {
    try (var files = Files.list(path)) {
      return files
          .filter(p -> p.toString().endsWith(".sst"))
          .mapToLong(p -> p.toFile().length())
          .sum();
    } catch (IOException e) {
      throw new StoreException("cannot list " + path, e);
    }
  }

  @Override
  public void close() {
    // Waits for the calls in flight; later ones see closed and fail instead of crashing.
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      // RocksJava's order: column family handles, then the database, then options and caches.
      handles.values().forEach(ColumnFamilyHandle::close);
      handles.clear();
      if (db != null) {
        db.close();
      }
      closeResources();
      if (ownedDirectory != null) {
        deleteTree(ownedDirectory);
      }
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  private void closeResources() {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        // Closing native handles does not fail in practice; keep freeing the rest.
      }
    }
    resources.clear();
  }
}
