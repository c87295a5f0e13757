package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksKeyValueStoreIT extends StoreContract {
  @TempDir Path dir;

  @Override
  KeyValueStore open() {
    return RocksKeyValueStore.openPrimary(dir.resolve("data"), true);
  }

  @Override
  KeyValueStore reopen() {
    kv.close();
    return open();
  }

  @Test
  void aSecondWriterFailsWithAClearMessageAndTheStoreStaysIntact() {
    kv.write(List.of(new Write.Put(Family.META, b(1), b(42))));
    assertThatThrownBy(() -> RocksKeyValueStore.openPrimary(dir.resolve("data"), true))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("already open by another chargeback writer")
        .hasMessageContaining(dir.resolve("data").toString());
    assertThat(kv.get(Family.META, b(1))).containsExactly(42);
  }

  @Test
  void aSecondarySeesTheWritersDataAfterCatchingUp() {
    kv.write(List.of(new Write.Put(Family.R1D, b(1), b(1))));
    try (KeyValueStore reader =
        RocksKeyValueStore.openSecondary(dir.resolve("data"), dir.resolve("secondary"))) {
      assertThat(reader.get(Family.R1D, b(1))).containsExactly(1);
      long seen = reader.sequence();
      long written = kv.sequence();
      kv.write(List.of(new Write.Put(Family.R1D, b(2), b(2))));
      assertThat(kv.sequence()).isGreaterThan(written);
      assertThat(reader.get(Family.R1D, b(2))).isNull();
      // What the reader's answers rest on moves only when it sees the write.
      assertThat(reader.sequence()).isEqualTo(seen);
      reader.catchUp();
      assertThat(reader.get(Family.R1D, b(2))).containsExactly(2);
      assertThat(reader.sequence()).isGreaterThan(seen);
      assertThat(reader.writable()).isFalse();
      assertThatThrownBy(() -> reader.write(List.of(new Write.Put(Family.R1D, b(3), b(3)))))
          .hasMessageContaining("read-only");
    }
  }

  @Test
  void aSecondaryReadsAddsMergedAcrossFlushesAndCompactions() {
    RocksKeyValueStore writer = (RocksKeyValueStore) kv;
    writer.write(List.of(new Write.Add(Family.TOTAL, b(1), 40)));
    writer.flush();
    writer.write(List.of(new Write.Add(Family.TOTAL, b(1), 2)));
    try (KeyValueStore reader =
        RocksKeyValueStore.openSecondary(dir.resolve("data"), dir.resolve("secondary"))) {
      assertThat(Keys.decodeFixed(reader.get(Family.TOTAL, b(1)))).isEqualTo(42);
      writer.compact();
      writer.write(List.of(new Write.Add(Family.TOTAL, b(1), -50)));
      reader.catchUp();
      assertThat(Keys.decodeFixed(reader.get(Family.TOTAL, b(1)))).isEqualTo(-8);
    }
  }

  @Test
  void aSecondaryOfItsOwnLeavesNoDirectoryBehind() {
    // Every exporter start used to leave a chargeback-secondary* directory in /tmp.
    RocksKeyValueStore reader = RocksKeyValueStore.openSecondary(dir.resolve("data"));
    Path own = reader.ownedDirectory();
    assertThat(own).isDirectoryContaining(p -> p.getFileName().toString().startsWith("LOG"));
    reader.close();
    assertThat(own).doesNotExist();
  }

  @Test
  void aSecondaryWithoutDataSaysSo() {
    assertThatThrownBy(
            () -> RocksKeyValueStore.openSecondary(dir.resolve("nothing"), dir.resolve("s")))
        .hasMessageContaining("no chargeback data at");
  }

  @Test
  void aCheckpointOpensAsAStoreWithTheSameData() {
    kv.write(List.of(new Write.Put(Family.TOTAL, b(7), b(7))));
    kv.checkpoint(dir.resolve("backup"));
    try (KeyValueStore copy = RocksKeyValueStore.openPrimary(dir.resolve("backup"), false)) {
      assertThat(copy.get(Family.TOTAL, b(7))).containsExactly(7);
    }
  }
}
