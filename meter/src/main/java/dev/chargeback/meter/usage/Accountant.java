package dev.chargeback.meter.usage;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.LastSamples;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns one target's consecutive readings into exact usage. Holds the target's last samples; the
 * caller stores an {@link Ingest} and then {@link #commit commits} it, so a failed write leaves
 * this state where the store is and the next scrape's deltas still cover everything.
 *
 * <p>Rules: counters add the delta between consecutive samples, and a drop is a reset whose new
 * value is the delta. A series first seen whose container started after the target's previous
 * successful scrape adds its whole first value (counters) or value × time since start (gauges), so
 * short-lived containers are billed; otherwise its first sample is only a baseline. Gauges
 * integrate by trapezoid between samples at most {@code maxGapMillis} apart; a longer gap is not
 * integrated. Samples not newer than the last are ignored. Amounts are whole quanta of their
 * resource, as the store keeps them: a counter's values are rounded (not its deltas, so deltas add
 * up alike however the samples fall), and a gauge carries what it did not count to its next
 * interval (so a series' integral stays within a quantum of exact over any number of scrapes).
 *
 * <p>When requests are metered, a container's CPU and memory also give the quantity basis {@code
 * max} bills: per interval between its samples, the larger of its usage and its request over the
 * interval (a container idle under its request pays the request, a busy one its usage).
 */
public final class Accountant {
  private final String target;
  private final long maxGapMillis;
  private final long seriesTtlMillis;
  private LastSamples series;
  private long lastScrapeMillis;

  /**
   * @param series the target's stored last samples
   * @param lastScrapeMillis the stored previous successful scrape, or {@link Long#MIN_VALUE}
   */
  public Accountant(
      String target,
      long maxGapMillis,
      long seriesTtlMillis,
      LastSamples series,
      long lastScrapeMillis) {
    this.target = target;
    this.maxGapMillis = maxGapMillis;
    this.seriesTtlMillis = seriesTtlMillis;
    this.series = series;
    this.lastScrapeMillis = lastScrapeMillis;
  }

  /** The usage of one successful scrape; nothing changes here until {@link #commit}. */
  public Ingest account(List<Reading> readings, long scrapeMillis) {
    long scrapeTime = scrapeMillis;
    for (Reading r : readings) {
      scrapeTime = Math.max(scrapeTime, r.timestampMillis());
    }
    List<Usage> usages = new ArrayList<>();
    Map<String, Billable> billable = new HashMap<>();
    LastSamples.Builder puts = new LastSamples.Builder(readings.size());
    for (Reading r : readings) {
      if (Double.isNaN(r.value()) || Double.isInfinite(r.value())) {
        continue;
      }
      int last = series.indexOf(r.series());
      if (last >= 0 && r.timestampMillis() <= series.timestampMillis(last)) {
        continue;
      }
      Usage u = last < 0 ? first(r) : next(r, last);
      double carry = 0;
      if (r.kind() != Reading.Kind.COUNTER) {
        // Whole quanta are counted, the rest carried to the series' next interval.
        double carried = last < 0 ? 0 : series.carry(last);
        if (u == null) {
          carry = carried;
        } else {
          double exact = u.amount() + carried;
          double counted = r.resource().amount(r.resource().units(exact));
          carry = exact - counted;
          u = usage(r, u.fromMillis(), counted);
        }
      }
      puts.put(r.series(), r.value(), r.timestampMillis(), carry);
      if (u != null && u.amount() != 0) {
        usages.add(u);
      }
      if (u != null && !Double.isNaN(r.request())) {
        billable
            .computeIfAbsent(r.container() + '\u0000' + r.resource().code, k -> new Billable(r))
            .add(u);
      }
    }
    for (Billable b : billable.values()) {
      Usage u = b.usage();
      if (u.amount() != 0) {
        usages.add(u);
      }
    }
    // Series not in this scrape are kept until they are older than the TTL.
    LastSamples next = puts.build(series, scrapeTime - seriesTtlMillis);
    long covered = 0;
    if (lastScrapeMillis != Long.MIN_VALUE) {
      long gap = scrapeTime - lastScrapeMillis;
      covered = gap > 0 && gap <= maxGapMillis ? gap : 0;
    }
    return new Ingest(target, scrapeTime, lastScrapeMillis, covered, usages, next, readings.size());
  }

  private Usage first(Reading r) {
    if (Double.isNaN(r.startSeconds()) || lastScrapeMillis == Long.MIN_VALUE) {
      return null;
    }
    long start = Math.round(r.startSeconds() * 1000);
    if (start <= lastScrapeMillis || start > r.timestampMillis()) {
      return null;
    }
    double amount =
        r.kind() == Reading.Kind.COUNTER
            ? increase(r.resource(), 0, r.value())
            : r.value() * ((r.timestampMillis() - start) / 1000.0);
    return usage(r, start, amount);
  }

  /** The usage since the series' last sample, at {@code last} in {@link #series}. */
  private Usage next(Reading r, int last) {
    long from = series.timestampMillis(last);
    double lastValue = series.value(last);
    if (r.kind() == Reading.Kind.COUNTER) {
      double since = r.value() >= lastValue ? lastValue : 0;
      return usage(r, from, increase(r.resource(), since, r.value()));
    }
    long gap = r.timestampMillis() - from;
    if (gap > maxGapMillis) {
      return null;
    }
    return usage(r, from, (lastValue + r.value()) / 2 * (gap / 1000.0));
  }

  /**
   * A counter's increase from {@code from} to {@code to}, in whole quanta of its resource (what the
   * store keeps). Rounding the counter's values rather than each delta makes deltas add up to the
   * same total however the samples fall: one delta across a restart's gap equals the deltas it
   * stands for, to the quantum.
   */
  private static double increase(Resource resource, double from, double to) {
    return resource.amount(resource.units(to) - resource.units(from));
  }

  private static Usage usage(Reading r, long fromMillis, double amount) {
    return new Usage(
        r.namespace(),
        r.workload(),
        r.node(),
        r.resource(),
        fromMillis,
        r.timestampMillis(),
        amount,
        r.device());
  }

  /**
   * One container's usage of CPU or memory in a scrape (its per-CPU rows summed), and its request.
   */
  private static final class Billable {
    private final Reading reading;
    private double used;
    private long from = Long.MAX_VALUE;
    private long to = Long.MIN_VALUE;

    Billable(Reading reading) {
      this.reading = reading;
    }

    void add(Usage u) {
      used += u.amount();
      from = Math.min(from, u.fromMillis());
      to = Math.max(to, u.toMillis());
    }

    /** max(usage, request × interval), as the resource's billable quantity. */
    Usage usage() {
      double requested = reading.request() * ((to - from) / 1000.0);
      return new Usage(
          reading.namespace(),
          reading.workload(),
          reading.node(),
          reading.resource().billable(),
          from,
          to,
          Math.max(used, requested));
    }
  }

  /** Makes a stored {@link Ingest} the new state. */
  public void commit(Ingest ingest) {
    series = ingest.series();
    lastScrapeMillis = Math.max(lastScrapeMillis, ingest.scrapeMillis());
  }
}
