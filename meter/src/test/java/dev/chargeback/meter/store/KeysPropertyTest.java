package dev.chargeback.meter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Properties of the key layout over many random keys (seeded, so a failure names its case): round
 * trips, time order within a series, and no series' range ever holding another series' keys.
 */
class KeysPropertyTest {
  private static final int CASES = 20_000;
  private static final String ALPHABET = "ab-/.:_\u0000\uFFFF\u00e9\ud55c\uae00\ud83d\ude00\"\\\n";

  private static String text(Random r) {
    int len = r.nextInt(10) == 0 ? r.nextInt(400) : r.nextInt(6);
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < len; i++) {
      char c = ALPHABET.charAt(r.nextInt(ALPHABET.length()));
      if (Character.isHighSurrogate(c)) {
        s.append(c).append('\ude00');
      } else if (!Character.isLowSurrogate(c)) {
        s.append(c);
      }
    }
    return s.toString();
  }

  private static RollupKey key(Random r) {
    return new RollupKey(
        Scope.values()[r.nextInt(Scope.values().length)],
        text(r),
        text(r),
        Resource.values()[r.nextInt(Resource.values().length)]);
  }

  private static long bucket(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> r.nextLong();
      case 1 -> -r.nextInt(1_000_000);
      default -> 1_700_000_000L + r.nextInt(400_000_000);
    };
  }

  @Test
  void rollupKeysRoundTrip() {
    Random r = new Random(20261122);
    for (int i = 0; i < CASES; i++) {
      RollupKey k = key(r);
      long b = bucket(r);
      byte[] encoded = Keys.rollup(k, b);
      assertThat(Keys.decodeSeries(encoded)).as("case %d", i).isEqualTo(k);
      assertThat(Keys.decodeBucket(encoded)).as("case %d", i).isEqualTo(b);
      assertThat(Keys.decodeSeries(Keys.series(k))).as("case %d", i).isEqualTo(k);
    }
  }

  @Test
  void bucketsOfASeriesSortInTimeOrder() {
    Random r = new Random(7);
    for (int i = 0; i < CASES; i++) {
      RollupKey k = key(r);
      long a = bucket(r);
      long b = bucket(r);
      int bytes = Integer.signum(Arrays.compareUnsigned(Keys.rollup(k, a), Keys.rollup(k, b)));
      assertThat(bytes)
          .as("case %d: %d vs %d", i, a, b)
          .isEqualTo(Integer.signum(Long.compare(a, b)));
    }
  }

  @Test
  void aSeriesRangeHoldsOnlyItsOwnKeys() {
    Random r = new Random(42);
    for (int i = 0; i < CASES; i++) {
      RollupKey k1 = key(r);
      // Often a near neighbour: the same owner with a workload that extends, or the owner split.
      RollupKey k2 =
          switch (r.nextInt(3)) {
            case 0 -> new RollupKey(k1.scope(), k1.owner(), k1.workload() + text(r), k1.resource());
            case 1 -> new RollupKey(k1.scope(), k1.owner() + k1.workload(), "", k1.resource());
            default -> key(r);
          };
      if (k1.equals(k2)) {
        continue;
      }
      byte[] from = Keys.series(k2);
      byte[] to = Keys.prefixEnd(from);
      byte[] other = Keys.rollup(k1, bucket(r));
      boolean inside =
          Arrays.compareUnsigned(other, from) >= 0
              && (to == null || Arrays.compareUnsigned(other, to) < 0);
      assertThat(inside).as("case %d: %s inside the range of %s", i, k1, k2).isFalse();
      byte[] own = Keys.rollup(k2, bucket(r));
      assertThat(
              Arrays.compareUnsigned(own, from) >= 0
                  && (to == null || Arrays.compareUnsigned(own, to) < 0))
          .as("case %d", i)
          .isTrue();
    }
  }

  @Test
  void ownerPrefixesAreExact() {
    Random r = new Random(99);
    for (int i = 0; i < CASES; i++) {
      RollupKey k = key(r);
      String other = k.owner() + text(r);
      byte[] prefix = Keys.ownerPrefix(k.scope(), other.equals(k.owner()) ? k.owner() : other);
      byte[] key = Keys.rollup(k, bucket(r));
      boolean starts =
          key.length >= prefix.length && Arrays.equals(Arrays.copyOf(key, prefix.length), prefix);
      assertThat(starts).as("case %d", i).isEqualTo(other.equals(k.owner()));
    }
  }
}
