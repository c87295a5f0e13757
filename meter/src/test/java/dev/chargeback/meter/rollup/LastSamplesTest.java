package dev.chargeback.meter.rollup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Last samples in one sorted array behave as the map of points they replace. */
class LastSamplesTest {
  @Test
  void scrapesMakeTheSameStateAsAMapOfPointsWithOldSeriesDroppedAtTheirAge() {
    SplittableRandom random = new SplittableRandom(7);
    // Identities from a small pool (series come back and go), of either sign.
    long[] pool = random.longs(300).toArray();
    Map<Long, Point> expected = new HashMap<>();
    LastSamples state = LastSamples.NONE;
    for (int scrape = 0; scrape < 200; scrape++) {
      long now = scrape * 1000L;
      long keepFrom = now - 20_000;
      int n = random.nextInt(120);
      LastSamples.Builder b = new LastSamples.Builder(random.nextInt(1, 8));
      Map<Long, Point> puts = new HashMap<>();
      for (int i = 0; i < n; i++) {
        long id = pool[random.nextInt(pool.length)];
        Point p = new Point(random.nextDouble(), now - random.nextInt(5000), random.nextDouble());
        // A series twice in one scrape: the later sample wins.
        b.put(id, p.value(), p.timestampMillis(), p.carry());
        puts.put(id, p);
      }
      expected.values().removeIf(p -> p.timestampMillis() < keepFrom);
      expected.putAll(puts);
      state = b.build(state, keepFrom);

      assertThat(state.asMap()).isEqualTo(expected);
      assertThat(state.size()).isEqualTo(expected.size());
      for (long id : pool) {
        int at = state.indexOf(id);
        Point p = expected.get(id);
        if (p == null) {
          assertThat(at).isNegative();
        } else {
          assertThat(new Point(state.value(at), state.timestampMillis(at), state.carry(at)))
              .isEqualTo(p);
        }
      }
      // What the store keeps reads back the same.
      assertThat(LastSamples.of(state.stored()).asMap()).isEqualTo(expected);
    }
  }

  @Test
  void aStoredValueInAnyOrderIsSortedAndATrailingPartEntryIgnored() {
    ByteBuffer b = ByteBuffer.allocate(3 * LastSamples.ENTRY + 5);
    b.putLong(9).putDouble(1.5).putLong(100).putDouble(0.25);
    b.putLong(-4).putDouble(2.5).putLong(200).putDouble(0);
    b.putLong(3).putDouble(3.5).putLong(300).putDouble(0.5);
    LastSamples s = LastSamples.of(b.array());

    assertThat(s.asMap())
        .containsOnly(
            Map.entry(9L, new Point(1.5, 100, 0.25)),
            Map.entry(-4L, new Point(2.5, 200)),
            Map.entry(3L, new Point(3.5, 300, 0.5)));
    assertThat(s.indexOf(-4)).isZero();
    assertThat(s.indexOf(3)).isEqualTo(1);
    assertThat(s.indexOf(9)).isEqualTo(2);
    assertThat(s.indexOf(4)).isNegative();
    assertThat(s.stored()).hasSize(3 * LastSamples.ENTRY);
    assertThat(LastSamples.NONE.indexOf(0)).isNegative();
  }
}
