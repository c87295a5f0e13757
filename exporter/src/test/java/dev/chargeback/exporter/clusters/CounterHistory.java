package dev.chargeback.exporter.clusters;

import dev.chargeback.meter.history.ChargebackImport;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.UsageCounters;
import java.io.IOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Generated chargeback counters of three clusters, as a central engine would hold them, with the
 * usage each step truly added: {@code east} plain, {@code west} restored from a 40-minute-old
 * backup (its counters go back to the backup's values, its store is the same), {@code north}
 * reinstalled with a new store (its counters start over from zero, its creation time changes).
 * Written as OpenMetrics (for {@code promtool}) or as Prometheus text with millisecond timestamps
 * (for VictoriaMetrics' import).
 */
final class CounterHistory {
  static final long STEP = 30;

  /** One counter of one cluster and namespace: its samples, and the usage the range truly had. */
  record Series(String cluster, String namespace, Resource resource, long[] times, long[] units) {}

  final long start;
  final long end;
  final List<Series> series = new ArrayList<>();
  final Map<String, List<long[]>> created = new HashMap<>();

  /** Usage per (cluster, namespace, resource) in [start, end), in quanta. */
  final Map<List<String>, Long> expected = new HashMap<>();

  /**
   * @param start the first hour to import (epoch seconds, a whole hour); samples begin 10 minutes
   *     before it and end 10 minutes after {@code end}
   */
  CounterHistory(long start, int hours) {
    this.start = start;
    this.end = start + 3600L * hours;
    long restore = start + 2 * 3600 + 600; // west, 02:10
    long reinstall = start + 3 * 3600 + 1200; // north, 03:20
    created.put("east", List.of(new long[] {start - 600, 1_700_000_000}));
    created.put("west", List.of(new long[] {start - 600, 1_700_000_100}));
    created.put(
        "north",
        List.of(new long[] {start - 600, 1_700_000_200}, new long[] {reinstall, 1_760_000_000}));
    for (String cluster : List.of("east", "west", "north")) {
      for (String namespace : List.of("default", "team-a")) {
        for (Resource r : List.of(Resource.CPU, Resource.MEMORY, Resource.NETWORK_RECEIVE)) {
          add(
              cluster,
              namespace,
              r,
              cluster.equals("west") ? restore : -1,
              cluster.equals("north") ? reinstall : -1);
        }
      }
    }
  }

  private void add(String cluster, String namespace, Resource r, long restore, long reinstall) {
    int n = (int) ((end - start + 1200) / STEP) + 1;
    long[] times = new long[n];
    long[] units = new long[n];
    long seed = (cluster + namespace + r).hashCode() & 0xFFFF;
    long value = 1_000_000 + seed * 1000;
    List<String> key = List.of(cluster, namespace, r.name());
    for (int i = 0; i < n; i++) {
      long t = start - 600 + STEP * i;
      long used = r.units(step(r, i, seed));
      if (t == restore) {
        value = units[i - 80]; // the backup's value, 40 minutes old; this step's use is lost
        used = 0;
      } else if (t == reinstall) {
        value = used; // a new store: from zero
      } else {
        value += used;
      }
      times[i] = t;
      units[i] = value;
      if (t > start && t <= end) {
        expected.merge(key, used, Long::sum);
      }
    }
    series.add(new Series(cluster, namespace, r, times, units));
  }

  /** A step's usage in the resource's unit: exact in its quantum, varying by step. */
  private static double step(Resource r, int i, long seed) {
    long k = (i * 7 + seed) % 11 + 1;
    return switch (r) {
      case CPU -> k * 0.125;
      case MEMORY -> k * 30.0 * (1 << 20) * 64;
      default -> k * 1500.0;
    };
  }

  private static String text(Resource r, long units) {
    return new BigDecimal(r.amount(units))
        .setScale(r.decimals(), java.math.RoundingMode.HALF_EVEN)
        .toPlainString();
  }

  /** OpenMetrics with second timestamps and {@code # EOF}. */
  void writeOpenMetrics(Writer out) throws IOException {
    write(out, true);
    out.write("# EOF\n");
  }

  /** Prometheus text with millisecond timestamps. */
  void writeText(Writer out) throws IOException {
    write(out, false);
  }

  private void write(Writer out, boolean openMetrics) throws IOException {
    for (Resource r : List.of(Resource.CPU, Resource.MEMORY, Resource.NETWORK_RECEIVE)) {
      String name = UsageCounters.of(r).name();
      if (openMetrics) {
        out.write("# TYPE " + name + " counter\n");
      }
      for (Series s : series) {
        if (s.resource() != r) {
          continue;
        }
        for (int i = 0; i < s.times().length; i++) {
          out.write(
              name
                  + "_total{cluster=\""
                  + s.cluster()
                  + "\",namespace=\""
                  + s.namespace()
                  + "\",job=\"chargeback\"} "
                  + text(r, s.units()[i])
                  + " "
                  + (openMetrics ? s.times()[i] : s.times()[i] * 1000)
                  + "\n");
        }
      }
    }
    if (openMetrics) {
      out.write("# TYPE " + ChargebackImport.CREATED + " gauge\n");
    }
    created.forEach(
        (cluster, changes) -> {
          try {
            for (long t = start - 600; t <= end + 600; t += STEP) {
              long value = 0;
              for (long[] c : changes) {
                if (c[0] <= t) {
                  value = c[1];
                }
              }
              out.write(
                  ChargebackImport.CREATED
                      + "{cluster=\""
                      + cluster
                      + "\",job=\"chargeback\"} "
                      + value
                      + " "
                      + (openMetrics ? t : t * 1000)
                      + "\n");
            }
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }
}
