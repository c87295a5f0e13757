package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Point;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A store whose writes fail (as RocksDB's do on a full disk) applies nothing of a failed batch,
 * says so while it lasts, and counts the failures in the store once writes succeed again.
 */
class WriteHealthTest {
  private static final long T = 1_790_000_000_000L;
  private static final RollupKey CPU = RollupKey.namespace("team-a", Resource.CPU);

  /** Memory-backed, with writes that fail while {@link #full} is set. */
  private static final class FullableStore implements KeyValueStore {
    private final MemoryKeyValueStore memory = new MemoryKeyValueStore();
    boolean full;

    @Override
    public byte[] get(Family family, byte[] key) {
      return memory.get(family, key);
    }

    @Override
    public void scan(Family family, byte[] from, byte[] to, Visitor visitor) {
      memory.scan(family, from, to, visitor);
    }

    @Override
    public Batch batch(int bytes) {
      return memory.batch(bytes);
    }

    @Override
    public void write(Batch writes) {
      if (full) {
        throw new StoreException(
            "cannot write to RocksDB store at /data: While appending to file: /data/000008.log:"
                + " No space left on device");
      }
      memory.write(writes);
    }

    @Override
    public void catchUp() {}

    @Override
    public long sequence() {
      return 0;
    }

    @Override
    public boolean writable() {
      return true;
    }

    @Override
    public void checkpoint(Path dir) {}

    @Override
    public void close() {}
  }

  private final FullableStore kv = new FullableStore();
  private final RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));

  private static Ingest scrape(long at, double cpu) {
    return new Ingest(
        "cadvisor:node/n1",
        at,
        at - 30_000,
        30_000,
        List.of(new Usage("team-a", "Deployment/web", "n1", Resource.CPU, at - 30_000, at, cpu)),
        Map.of(1L, new Point(cpu, at)),
        1);
  }

  private double cpu() {
    return store.totals(dev.chargeback.meter.rollup.Scope.NAMESPACE).get(CPU).sum();
  }

  @Test
  void failedWritesApplyNothingAreReportedAndAreCountedOnceWritesResume() {
    store.apply(scrape(T, 1.5));
    assertThat(store.health().writes().failing()).isFalse();
    assertThat(store.health().writes().problem()).isNull();

    kv.full = true;
    assertThatThrownBy(() -> store.apply(scrape(T + 30_000, 2.0)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("No space left on device");
    assertThatThrownBy(() -> store.recordScrapeError("cadvisor:node/n1"))
        .isInstanceOf(StoreException.class);
    assertThat(cpu()).as("nothing of a failed batch is applied").isEqualTo(1.5);
    assertThat(store.series().lastScrape("cadvisor:node/n1")).isEqualTo(T);
    assertThat(store.health().writes().failing()).isTrue();
    assertThat(store.health().writes().problem())
        .startsWith("writes to the store fail since ")
        .contains("(2 failed writes)")
        .contains("No space left on device")
        .endsWith("metering resumes by itself when the store can write again");
    assertThat(store.health().writeErrors()).isEqualTo(2);
    assertThat(store.meta().number(StoreHealth.WRITE_ERRORS)).isZero();

    kv.full = false;
    store.apply(scrape(T + 60_000, 3.0));
    assertThat(cpu()).isEqualTo(4.5);
    assertThat(store.health().writes().failing()).isFalse();
    assertThat(store.health().writes().problem()).isNull();
    assertThat(store.meta().number(StoreHealth.WRITE_ERRORS))
        .as("stored with the first successful batch")
        .isEqualTo(2);
    assertThat(store.health().writeErrors()).isEqualTo(2);

    kv.full = true;
    assertThatThrownBy(() -> store.apply(scrape(T + 90_000, 1.0)));
    kv.full = false;
    store.apply(scrape(T + 120_000, 1.0));
    assertThat(new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC)).health().writeErrors())
        .as("a later outage adds to the stored count")
        .isEqualTo(3);
  }
}
