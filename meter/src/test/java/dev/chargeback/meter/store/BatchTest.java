package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/** A batch is encoded as RocksDB encodes one, and reads back as the writes it was given. */
class BatchTest {
  private static final byte[] SERIES = {3, 0, 2, 'n', 's', 0, 0, 7};

  /** Keys and values long enough for two- and three-byte length prefixes. */
  private static byte[] bytes(int length, int seed) {
    byte[] b = new byte[length];
    for (int i = 0; i < length; i++) {
      b[i] = (byte) (seed + i * 31);
    }
    return b;
  }

  @Test
  void aBatchIsByteForByteWhatRocksJavaEncodes(@TempDir Path dir) throws Exception {
    RocksDB.loadLibrary();
    try (Options options = new Options().setCreateIfMissing(true);
        ColumnFamilyOptions adding = new ColumnFamilyOptions().setMergeOperatorName("uint64add");
        RocksDB db = RocksDB.open(options.setMergeOperatorName("uint64add"), dir.toString());
        ColumnFamilyHandle family =
            db.createColumnFamily(new ColumnFamilyDescriptor("r1d".getBytes(), adding));
        WriteBatch theirs = new WriteBatch()) {
      // R1D is the created family; every other family is the default one (id 0).
      int[] ids = new int[Family.values().length];
      ids[Family.R1D.ordinal()] = family.getID();
      assertThat(family.getID()).isPositive();
      byte[] prefix = {(byte) 0xFF, 0, 1, 'c'};
      Batch ours = new Batch(ids, new byte[0], 16).prefixed(prefix);

      ours.put(Family.R1D, bytes(300, 1), bytes(20_000, 2));
      theirs.put(family, cat(prefix, bytes(300, 1)), bytes(20_000, 2));
      ours.put(Family.META, bytes(5, 3), new byte[0]);
      theirs.put(cat(prefix, bytes(5, 3)), new byte[0]);
      ours.add(Family.R1D, bytes(9, 4), -42);
      theirs.merge(family, cat(prefix, bytes(9, 4)), Keys.fixed(-42));
      ours.add(Family.TOTAL, bytes(200, 5), Long.MAX_VALUE);
      theirs.merge(cat(prefix, bytes(200, 5)), Keys.fixed(Long.MAX_VALUE));
      ours.add(Family.R1D, SERIES, 1_780_000_000L, 12_345);
      theirs.merge(family, cat(prefix, Keys.rollup(SERIES, 1_780_000_000L)), Keys.fixed(12_345));
      ours.add(Family.R1D, SERIES, -5, 1);
      theirs.merge(family, cat(prefix, Keys.rollup(SERIES, -5)), Keys.fixed(1));
      ours.delete(Family.R1D, bytes(130, 6));
      theirs.delete(family, cat(prefix, bytes(130, 6)));
      ours.delete(Family.SERIES, bytes(1, 7));
      theirs.delete(cat(prefix, bytes(1, 7)));
      ours.deleteRange(Family.R1D, bytes(3, 8), bytes(140, 9));
      theirs.deleteRange(family, cat(prefix, bytes(3, 8)), cat(prefix, bytes(140, 9)));
      ours.deleteRange(Family.ACTIVE, bytes(2, 10), bytes(2, 11));
      theirs.deleteRange(cat(prefix, bytes(2, 10)), cat(prefix, bytes(2, 11)));

      assertThat(ours.count()).isEqualTo(theirs.count()).isEqualTo(10);
      assertThat(ours.bytes()).isEqualTo(theirs.data());
      // RocksDB takes it whole: the merge reads back as the store's uint64add made it.
      try (WriteBatch again = new WriteBatch(ours.bytes());
          WriteOptions write = new WriteOptions()) {
        db.write(write, again);
      }
      assertThat(db.get(family, cat(prefix, Keys.rollup(SERIES, 1_780_000_000L))))
          .isEqualTo(Keys.fixed(12_345));
    }
  }

  private static byte[] cat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @Test
  void aBatchReadsBackAsItsWritesWithTheirPrefix() {
    Batch batch = new MemoryKeyValueStore().batch(0);
    batch.prefixed(new byte[] {9});
    batch.addAll(
        List.of(
            new Write.Put(Family.META, bytes(3, 1), bytes(4, 2)),
            new Write.Add(Family.TOTAL, bytes(2, 3), -7),
            new Write.Delete(Family.ACTIVE, bytes(1, 4)),
            new Write.DeleteRange(Family.R5M, bytes(1, 5), bytes(2, 6))));
    batch.add(Family.R1H, SERIES, 3600, 99);

    List<Write> back = batch.writes();
    assertThat(back).hasSize(5);
    assertThat(back.get(0))
        .isInstanceOfSatisfying(
            Write.Put.class,
            p -> {
              assertThat(p.family()).isEqualTo(Family.META);
              assertThat(p.key()).isEqualTo(cat(new byte[] {9}, bytes(3, 1)));
              assertThat(p.value()).isEqualTo(bytes(4, 2));
            });
    assertThat(back.get(1))
        .isInstanceOfSatisfying(Write.Add.class, a -> assertThat(a.amount()).isEqualTo(-7));
    assertThat(back.get(3))
        .isInstanceOfSatisfying(
            Write.DeleteRange.class,
            r -> {
              assertThat(r.from()).isEqualTo(cat(new byte[] {9}, bytes(1, 5)));
              assertThat(r.to()).isEqualTo(cat(new byte[] {9}, bytes(2, 6)));
            });
    assertThat(back.get(4))
        .isInstanceOfSatisfying(
            Write.Add.class,
            a -> {
              assertThat(a.family()).isEqualTo(Family.R1H);
              assertThat(a.key()).isEqualTo(cat(new byte[] {9}, Keys.rollup(SERIES, 3600)));
              assertThat(a.amount()).isEqualTo(99);
            });
    assertThatThrownBy(() -> batch.prefixed(new byte[] {1}))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aStoreRefusesAnotherStoresBatch(@TempDir Path dir) {
    try (KeyValueStore rocks = RocksKeyValueStore.openPrimary(dir.resolve("data"), false);
        KeyValueStore memory = new MemoryKeyValueStore()) {
      Batch fromMemory = memory.batch(0);
      fromMemory.put(Family.META, bytes(1, 1), bytes(1, 2));
      assertThatThrownBy(() -> rocks.write(fromMemory))
          .isInstanceOf(IllegalArgumentException.class);
      Batch fromRocks = rocks.batch(0);
      fromRocks.put(Family.META, bytes(1, 1), bytes(1, 2));
      rocks.write(fromRocks);
      assertThat(rocks.get(Family.META, bytes(1, 1))).isEqualTo(bytes(1, 2));
    }
  }
}
