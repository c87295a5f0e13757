package dev.chargeback.meter.history;

import dev.chargeback.meter.exposition.ExpositionException;
import dev.chargeback.meter.exposition.ExpositionParser;
import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.exposition.MetricType;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.exposition.Sample;
import dev.chargeback.meter.exposition.SampleSink;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.LastSamples;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.usage.Accountant;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.Reading;
import dev.chargeback.meter.usage.Selection;
import dev.chargeback.meter.usage.SourceRole;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Meters an OpenMetrics file whose samples carry timestamps (what {@code promtool tsdb
 * create-blocks-from openmetrics} reads) with exactly the live rules: the samples of each timestamp
 * are one scrape, per source role (kube-state-metrics first, for pod owners), through the same
 * selections and accountants as a live target.
 */
public final class OpenMetricsImport {
  /** Roles in the order a timestamp's samples are metered: metadata before usage. */
  private static final List<SourceRole> ORDER =
      List.of(SourceRole.KUBE_STATE_METRICS, SourceRole.NODE_EXPORTER, SourceRole.CADVISOR);

  private final RollupStore store;
  private final Duration maxGap;
  private final CostAccrual accrual;
  private final ParserLimits limits;

  /**
   * @param accrual prices the usage into accrued cost as live metering does; null for none
   */
  public OpenMetricsImport(
      RollupStore store, Duration maxGap, CostAccrual accrual, ParserLimits limits) {
    this.store = store;
    this.maxGap = maxGap;
    this.accrual = accrual;
    this.limits = new ParserLimits(limits.maxLineBytes(), limits.maxLabels(), Long.MAX_VALUE);
  }

  /** The file's samples, column-wise: one series table and three growing arrays. */
  private abstract static class Columns implements SampleSink {
    private record Series(String name, Labels labels) {}

    final Map<String, MetricType> types = new LinkedHashMap<>();
    final List<Series> series = new ArrayList<>();
    private final Map<Series, Integer> index = new HashMap<>();
    int[] seriesOf = new int[1 << 16];
    long[] times = new long[1 << 16];
    double[] values = new double[1 << 16];
    int size;

    @Override
    public void type(String name, MetricType type) {
      types.put(name, type);
    }

    @Override
    public void sample(Sample s) {
      if (!s.hasTimestamp()) {
        throw new IllegalArgumentException(
            "sample of " + s.name() + " has no timestamp: an import needs one on every sample");
      }
      int id =
          index.computeIfAbsent(
              new Series(s.name(), s.labels()),
              k -> {
                series.add(k);
                return series.size() - 1;
              });
      if (size == times.length) {
        int n = size * 2;
        seriesOf = Arrays.copyOf(seriesOf, n);
        times = Arrays.copyOf(times, n);
        values = Arrays.copyOf(values, n);
      }
      seriesOf[size] = id;
      times[size] = s.timestampMillis();
      values[size] = s.value();
      size++;
    }

    Sample sample(int i) {
      Series s = series.get(seriesOf[i]);
      return new Sample(s.name(), s.labels(), values[i], times[i]);
    }

    /** Sample positions ordered by time, file order within a time (a counting sort). */
    int[] byTime() {
      long[] distinct = Arrays.stream(times, 0, size).sorted().distinct().toArray();
      Map<Long, Integer> slot = new HashMap<>(distinct.length * 2);
      for (int i = 0; i < distinct.length; i++) {
        slot.put(distinct[i], i);
      }
      int[] next = new int[distinct.length + 1];
      for (int i = 0; i < size; i++) {
        next[slot.get(times[i]) + 1]++;
      }
      for (int i = 0; i < distinct.length; i++) {
        next[i + 1] += next[i];
      }
      int[] out = new int[size];
      for (int i = 0; i < size; i++) {
        out[next[slot.get(times[i])]++] = i;
      }
      return out;
    }
  }

  /**
   * Meters {@code in}.
   *
   * @throws ExpositionException when the file is malformed (nothing is written then)
   */
  public ImportReport run(InputStream in) throws ExpositionException, IOException {
    PodDirectory pods = new PodDirectory();
    Map<SourceRole, Selection> probes = new LinkedHashMap<>();
    for (SourceRole role : ORDER) {
      probes.put(role, Selection.forRole(role, "", pods));
    }
    Columns columns =
        new Columns() {
          @Override
          public boolean wants(String name) {
            for (Selection s : probes.values()) {
              if (s.wants(name)) {
                return true;
              }
            }
            return false;
          }
        };
    try {
      new ExpositionParser(limits).parse(in, Format.OPENMETRICS, columns);
    } catch (IllegalArgumentException e) {
      throw new ExpositionException(0, e.getMessage());
    }
    ImportReport report = new ImportReport();
    report.samples = columns.size;
    int[] order = columns.byTime();

    long gap = maxGap.toMillis();
    Map<SourceRole, Accountant> accountants = new LinkedHashMap<>();
    for (SourceRole role : ORDER) {
      accountants.put(
          role,
          new Accountant(
              "import:" + role.flag,
              gap,
              Math.max(3_600_000, 2 * gap),
              LastSamples.NONE,
              Long.MIN_VALUE));
    }
    HourlyUsage hourly = new HourlyUsage();
    Set<Long> writtenNow = new HashSet<>();
    int i = 0;
    while (i < order.length) {
      long t = columns.times[order[i]];
      int end = i;
      while (end < order.length && columns.times[order[end]] == t) {
        end++;
      }
      for (SourceRole role : ORDER) {
        Selection selection = Selection.forRole(role, "", pods);
        boolean any = false;
        columns.types.forEach(selection::type);
        for (int k = i; k < end; k++) {
          Sample s = columns.sample(order[k]);
          if (selection.wants(s.name())) {
            selection.sample(s);
            any = true;
          }
        }
        if (!any) {
          continue;
        }
        List<Reading> readings = selection.finish(t);
        Accountant accountant = accountants.get(role);
        Ingest ingest = accountant.account(readings, t);
        List<Usage> usages = ingest.usages();
        if (accrual != null) {
          usages = ingest.plus(accrual.costs(usages)).usages();
        }
        usages.forEach(hourly::add);
        accountant.commit(ingest);
      }
      i = end;
      // An hour is complete once no scrape interval can reach back into it.
      for (long hour : hourly.hoursBefore(t - gap - HourlyUsage.HOUR + 1)) {
        write(hour, hourly.take(hour), report, writtenNow);
      }
    }
    for (long hour : hourly.hoursBefore(Long.MAX_VALUE)) {
      write(hour, hourly.take(hour), report, writtenNow);
    }
    return report;
  }

  private void write(long hour, List<Usage> usages, ImportReport report, Set<Long> writtenNow) {
    if (writtenNow.contains(hour)) {
      // A counter's delta across a long gap reaching back into an hour written this run.
      store.appendImported(hour, usages);
    } else if (store.applyImported(hour, usages)) {
      writtenNow.add(hour);
      report.written.add(hour);
    } else {
      report.alreadyOwned.add(hour);
    }
  }
}
