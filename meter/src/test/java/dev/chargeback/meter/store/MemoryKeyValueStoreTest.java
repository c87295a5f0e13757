package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The store contract on the in-memory store, and what only it does. */
class MemoryKeyValueStoreTest extends StoreContract {
  @Override
  KeyValueStore open() {
    return new MemoryKeyValueStore();
  }

  @Override
  KeyValueStore reopen() {
    // Memory survives only as long as the object: a "restart" keeps the same instance.
    return kv;
  }

  @Test
  void hasNoFilesToCheckpointAndSaysSo() {
    assertThatThrownBy(() -> kv.checkpoint(Path.of("/tmp/never")))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("in-memory store");
  }

  @Test
  void valuesReadBackAreCopiesThatCannotChangeTheStore() {
    kv.write(List.of(new Write.Put(Family.META, b(1), b(7))));
    byte[] read = kv.get(Family.META, b(1));
    read[0] = 99;
    assertThat(kv.get(Family.META, b(1))).containsExactly(7);
  }
}
