package dev.chargeback.meter.history;

import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Usage gathered per UTC hour, summed per key and 5-minute bucket (so every granularity, and
 * half-hour billing zones, still split exactly), until the hour is written.
 */
final class HourlyUsage {
  static final long HOUR = 3_600_000;
  private static final long STEP = 300_000;

  private record Key(
      String namespace, String workload, String node, Resource resource, long from) {}

  private final TreeMap<Long, Map<Key, double[]>> hours = new TreeMap<>();

  /** Adds {@code u}, spread evenly over its span, to the 5-minute buckets it covers. */
  void add(Usage u) {
    if (u.toMillis() <= u.fromMillis()) {
      put(u, Math.floorDiv(u.fromMillis(), STEP) * STEP, u.amount());
      return;
    }
    double span = u.toMillis() - u.fromMillis();
    for (long b = Math.floorDiv(u.fromMillis(), STEP) * STEP; b < u.toMillis(); b += STEP) {
      long overlap = Math.min(u.toMillis(), b + STEP) - Math.max(u.fromMillis(), b);
      if (overlap > 0) {
        put(u, b, u.amount() * (overlap / span));
      }
    }
  }

  private void put(Usage u, long bucket, double amount) {
    long hour = Math.floorDiv(bucket, HOUR) * HOUR;
    hours.computeIfAbsent(hour, h -> new HashMap<>())
            .computeIfAbsent(
                new Key(u.namespace(), u.workload(), u.node(), u.resource(), bucket),
                k -> new double[1])[0] +=
        amount;
  }

  /** Hours with usage that start before {@code millis}, oldest first. */
  List<Long> hoursBefore(long millis) {
    return new ArrayList<>(hours.headMap(millis, false).keySet());
  }

  /** Removes and returns an hour's usage. */
  List<Usage> take(long hour) {
    Map<Key, double[]> sums = hours.remove(hour);
    List<Usage> out = new ArrayList<>();
    if (sums != null) {
      sums.forEach(
          (k, v) ->
              out.add(
                  new Usage(
                      k.namespace(),
                      k.workload(),
                      k.node(),
                      k.resource(),
                      k.from(),
                      k.from() + STEP,
                      v[0])));
    }
    return out;
  }
}
