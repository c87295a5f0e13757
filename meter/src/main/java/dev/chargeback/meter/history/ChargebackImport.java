package dev.chargeback.meter.history;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.rollup.UsageCounters;
import dev.chargeback.meter.store.RollupStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * A central chargeback's source: other clusters' chargeback counters ({@link UsageCounters}) read
 * back from the Prometheus-compatible engine that holds them all, told apart by a cluster label the
 * engine adds. Each cluster's usage goes into its own part of the store ({@link
 * RollupStore#cluster}), per namespace and UTC hour, with the same guarantees as the cAdvisor
 * source: one source per hour and cluster, failed hours listed and retried, idempotent. A closed
 * hour without usage is settled too: whatever its samples would have added, arriving late, counts
 * in a later hour's difference.
 *
 * <p>Exact, not extrapolated: an hour's usage is the counter's last sample at or before the hour's
 * end minus its last sample at or before the hour's start (what {@code increase()} would
 * extrapolate to the window's edges is not used), so the hours of any range add up to exactly the
 * difference of the cluster's own totals across it. Values are whole quanta, so the differences are
 * taken in integers.
 *
 * <p>A counter that goes down is read sample by sample: if the cluster's store was made anew in
 * between ({@code chargeback_store_created_timestamp_seconds} changed), its counter started over
 * from zero and counts whole; otherwise the store went back to a backup's values, and the drop
 * counts nothing (the usage a restored backup lost is lost in that cluster's own bills too, and
 * counting the backup's totals again would bill them twice). A counter first seen counts whole when
 * its store was made in that hour, else from its first sample on.
 */
public final class ChargebackImport {
  /** The exporter's gauge of when its store was made. */
  public static final String CREATED = "chargeback_store_created_timestamp_seconds";

  /** How far back a counter's last value is looked for at the start of an import. */
  static final long LOOKBACK_SECONDS = 7 * 86_400;

  private final HourlyImport hourly;
  private final PrometheusApi api;
  private final String label;

  /**
   * @param clusterLabel the label the engine tells clusters apart by (external_labels or
   *     relabelling), e.g. {@code cluster}
   * @param accruals prices each cluster's usage (by cluster name); null for none
   * @param attempts tries per day of queries before its hours are reported missing
   */
  public ChargebackImport(
      RollupStore store,
      PrometheusApi api,
      String clusterLabel,
      Function<String, CostAccrual> accruals,
      int attempts) {
    if (!Labels.isName(clusterLabel)) {
      throw new IllegalArgumentException(
          "prometheus.clusterLabel: not a Prometheus label name: " + clusterLabel);
    }
    this.api = api;
    this.label = clusterLabel;
    this.hourly =
        new HourlyImport(
            store,
            new HourlyImport.Source() {
              @Override
              public List<String> clusters(long from, long to)
                  throws PrometheusApi.QueryException, InterruptedException {
                return ChargebackImport.this.clusters(from, to);
              }

              @Override
              public Map<String, Map<Long, List<Usage>>> fetch(long from, long to)
                  throws PrometheusApi.QueryException, InterruptedException {
                return ChargebackImport.this.fetch(from, to);
              }

              @Override
              public boolean settlesEmptyHours() {
                return true;
              }
            },
            accruals,
            attempts);
  }

  /** Imports the whole UTC hours in [from, to) (epoch millis; to is rounded down to an hour). */
  public ImportReport run(long fromMillis, long toMillis) throws InterruptedException {
    return hourly.run(fromMillis, toMillis);
  }

  private static final String ANY_COUNTER =
      "{__name__=~\"chargeback_(usage|request)_[a-z_]+_total\"}";

  /** The clusters whose counters have samples in [from, to). */
  List<String> clusters(long from, long to)
      throws PrometheusApi.QueryException, InterruptedException {
    long end = to / 1000;
    List<String> out = new ArrayList<>();
    api.queryRange(
        "count by ("
            + label
            + ") (last_over_time("
            + ANY_COUNTER
            + "["
            + (end - from / 1000)
            + "s]))",
        end,
        end,
        3600,
        series -> {
          String cluster = series.path("metric").path(label).asText("");
          if (!cluster.isEmpty()) {
            out.add(cluster);
          }
        });
    out.sort(null);
    return out;
  }

  /** Per cluster and namespace, a value per step (null where the step had none). */
  private Map<List<String>, Long[]> stepped(
      String promql, Resource r, long start, long end, int steps, boolean byNamespace)
      throws PrometheusApi.QueryException, InterruptedException {
    Map<List<String>, Long[]> out = new HashMap<>();
    api.queryRange(
        promql,
        start,
        end,
        3600,
        series -> {
          JsonNode m = series.path("metric");
          String cluster = m.path(label).asText("");
          if (cluster.isEmpty()) {
            return;
          }
          List<String> key =
              byNamespace ? List.of(cluster, m.path("namespace").asText("")) : List.of(cluster);
          Long[] values = out.computeIfAbsent(key, k -> new Long[steps]);
          for (JsonNode v : series.path("values")) {
            int step = (int) ((v.get(0).asLong() - start) / 3600);
            double value = v.get(1).asDouble();
            if (step >= 0 && step < steps && Double.isFinite(value)) {
              values[step] = r == null ? (long) value : r.units(value);
            }
          }
        });
    return out;
  }

  /** Usage per cluster and hour in [from, to) (whole hours). */
  Map<String, Map<Long, List<Usage>>> fetch(long from, long to)
      throws PrometheusApi.QueryException, InterruptedException {
    long start = from / 1000;
    long end = to / 1000;
    int hours = (int) ((end - start) / 3600);
    String by = "(" + label + ", namespace)";
    // When each cluster's store was made, as of each hour's end (index 0 is the start).
    Map<List<String>, Long[]> created =
        stepped(
            "max by (" + label + ") (last_over_time(" + CREATED + "[1h]))",
            null,
            start + 3600,
            end,
            hours,
            false);
    Map<List<String>, Long[]> createdBefore =
        stepped(
            "max by (" + label + ") (last_over_time(" + CREATED + "[" + LOOKBACK_SECONDS + "s]))",
            null,
            start,
            start,
            1,
            false);
    Map<String, Map<Long, List<Usage>>> out = new TreeMap<>();
    for (Map.Entry<Resource, UsageCounters.Counter> e : UsageCounters.all().entrySet()) {
      Resource r = e.getKey();
      String name = e.getValue().series();
      Map<List<String>, Long[]> before =
          stepped(
              "max by " + by + " (last_over_time(" + name + "[" + LOOKBACK_SECONDS + "s]))",
              r,
              start,
              start,
              1,
              true);
      Map<List<String>, Long[]> last =
          stepped(
              "max by " + by + " (last_over_time(" + name + "[1h]))",
              r,
              start + 3600,
              end,
              hours,
              true);
      if (last.isEmpty()) {
        continue;
      }
      Map<List<String>, Long[]> min =
          stepped(
              "min by " + by + " (min_over_time(" + name + "[1h]))",
              r,
              start + 3600,
              end,
              hours,
              true);
      Map<List<String>, Long[]> resets =
          stepped(
              "max by " + by + " (resets(" + name + "[1h]))", null, start + 3600, end, hours, true);
      for (Map.Entry<List<String>, Long[]> s : last.entrySet()) {
        String cluster = s.getKey().get(0);
        String namespace = s.getKey().get(1);
        if (namespace.isEmpty()) {
          continue;
        }
        Long[] b = before.get(s.getKey());
        Long previous = b == null ? null : b[0];
        Long[] made = created.getOrDefault(List.of(cluster), new Long[hours]);
        Long[] madeBefore = createdBefore.getOrDefault(List.of(cluster), new Long[1]);
        for (int k = 0; k < hours; k++) {
          Long value = s.getValue()[k];
          if (value == null) {
            continue; // no sample this hour: the next one's difference covers it
          }
          long hourStart = start + 3600L * k;
          Long lowest = min.containsKey(s.getKey()) ? min.get(s.getKey())[k] : null;
          Long[] rs = resets.get(s.getKey());
          boolean reset = rs != null && rs[k] != null && rs[k] > 0;
          Long madeAt = made[k];
          long delta;
          if (!reset && previous != null && lowest != null && lowest >= previous) {
            delta = value - previous;
          } else if (!reset && previous == null && lowest != null) {
            delta = madeAt != null && madeAt >= hourStart ? value : value - lowest;
          } else {
            Long madeBeforeHour = k == 0 ? madeBefore[0] : made[k - 1];
            delta =
                sampleBySample(r, name, cluster, namespace, hourStart, previous, madeBeforeHour);
          }
          previous = value;
          if (delta > 0) {
            out.computeIfAbsent(cluster, c -> new TreeMap<>())
                .computeIfAbsent(hourStart * 1000, h -> new ArrayList<>())
                .add(
                    new Usage(
                        namespace,
                        "",
                        "",
                        r,
                        hourStart * 1000,
                        hourStart * 1000 + HourlyImport.HOUR,
                        r.amount(delta)));
          }
        }
      }
    }
    return out;
  }

  private record Sample(long millis, long value) {}

  /** A selector's raw samples in the hour before {@code endSeconds}, of all its series, by time. */
  private List<Sample> samples(String selector, Resource r, long endSeconds)
      throws PrometheusApi.QueryException, InterruptedException {
    List<Sample> out = new ArrayList<>();
    api.querySamples(
        selector + "[1h]",
        endSeconds,
        series -> {
          for (JsonNode v : series.path("values")) {
            double value = v.get(1).asDouble();
            if (Double.isFinite(value)) {
              long millis = Math.round(v.get(0).asDouble() * 1000);
              out.add(new Sample(millis, r == null ? (long) value : r.units(value)));
            }
          }
        });
    out.sort((a, b) -> Long.compare(a.millis, b.millis));
    return out;
  }

  /**
   * An hour whose counter went down, or first appeared, read sample by sample (see the class
   * comment for what a drop counts).
   */
  private long sampleBySample(
      Resource r,
      String name,
      String cluster,
      String namespace,
      long hourStart,
      Long previous,
      Long madeBefore)
      throws PrometheusApi.QueryException, InterruptedException {
    long hourEnd = hourStart + 3600;
    List<Sample> samples =
        samples(
            name + "{" + label + "=" + quote(cluster) + ",namespace=" + quote(namespace) + "}",
            r,
            hourEnd);
    TreeMap<Long, Long> made = new TreeMap<>();
    if (madeBefore != null) {
      made.put(hourStart * 1000, madeBefore);
    }
    for (Sample s : samples(CREATED + "{" + label + "=" + quote(cluster) + "}", null, hourEnd)) {
      made.put(s.millis, s.value);
    }
    long delta = 0;
    Long last = previous;
    long lastMillis = hourStart * 1000;
    for (Sample s : samples) {
      if (last == null) {
        Long madeAt = madeAt(made, s.millis);
        delta += madeAt != null && madeAt >= hourStart ? s.value : 0;
      } else if (s.value >= last) {
        delta += s.value - last;
      } else {
        Long was = madeAt(made, lastMillis);
        Long now = madeAt(made, s.millis);
        delta += was != null && now != null && !was.equals(now) ? s.value : 0;
      }
      last = s.value;
      lastMillis = s.millis;
    }
    return delta;
  }

  private static Long madeAt(TreeMap<Long, Long> made, long millis) {
    Map.Entry<Long, Long> e = made.floorEntry(millis);
    return e == null ? null : e.getValue();
  }

  /** A PromQL string literal of any label value (quotes, backslashes, newlines escaped). */
  static String quote(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        default -> out.append(c);
      }
    }
    return out.append('"').toString();
  }
}
