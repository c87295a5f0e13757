package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.LastSamples;
import dev.chargeback.meter.rollup.Point;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Each target's last samples (family {@link Family#SERIES}, all of them in one value under {@link
 * Keys#seriesSnapshot}) and its last successful scrape (a watermark in {@link Family#META}): what
 * an accountant resumes from after a restart. Written in the same batch as the usage they produced.
 * One value per target rather than a key per series: at 1,000 nodes a round wrote 300,000 keys of
 * 16 bytes, whose inserts, flushes and compactions cost more CPU than the scrapes' parsing.
 */
public final class SeriesState {
  private static final String WATERMARK = "target/last_scrape/";

  static final String FORMAT_KEY = "store/series_format";

  /** A target's series in one value ({@link Keys#seriesSnapshot}). */
  static final String SNAPSHOTS = "snapshot-1";

  private final KeyValueStore kv;
  private final Meta meta;

  SeriesState(KeyValueStore kv, Meta meta) {
    this.kv = kv;
    this.meta = meta;
  }

  /**
   * Gathers each target's last samples, kept a key per series before (keyed by identity, or by the
   * series' text before identities were numbers), into its one value, once, on the writer's first
   * start; a target at a time in one batch, so a crash leaves a store the next start finishes.
   *
   * @return how many targets were gathered
   */
  static long ensureSnapshots(KeyValueStore kv, Meta meta, Consumer<List<Write>> writer) {
    if (SNAPSHOTS.equals(meta.text(FORMAT_KEY))) {
      return 0;
    }
    // Keys are in target order: a target's keys (target | 0 | id, or target | text) are neighbours.
    var gathering =
        new Object() {
          String target;
          final Map<Long, Point> series = new HashMap<>();
          final List<Write> writes = new ArrayList<>();
          long gathered;

          void add(byte[] key, byte[] value) {
            String of = Keys.decodeSeriesTarget(key);
            if (!of.equals(target)) {
              flush();
              target = of;
            }
            series.put(
                Keys.decodeSeries(key, Keys.targetPrefix(of).length), Keys.decodePoint(value));
            writes.add(new Write.Delete(Family.SERIES, key));
          }

          void flush() {
            if (!writes.isEmpty()) {
              writes.add(
                  new Write.Put(
                      Family.SERIES, Keys.seriesSnapshot(target), LastSamples.of(series).stored()));
              writer.accept(List.copyOf(writes));
              gathered++;
            }
            series.clear();
            writes.clear();
          }
        };
    kv.scan(
        Family.SERIES,
        new byte[0],
        null,
        (k, v) -> {
          if (!Keys.isSeriesSnapshot(k)) {
            gathering.add(k, v);
          }
          return true;
        });
    gathering.flush();
    meta.put(FORMAT_KEY, SNAPSHOTS);
    return gathering.gathered;
  }

  /** A target's stored last samples. */
  public LastSamples of(String target) {
    byte[] v = kv.get(Family.SERIES, Keys.seriesSnapshot(target));
    return v == null ? LastSamples.NONE : LastSamples.of(v);
  }

  /** Every target that was ever scraped successfully, by name. */
  public Set<String> targets() {
    return meta.numbers(WATERMARK).keySet();
  }

  /** A target's last successful scrape (epoch ms), or {@link Long#MIN_VALUE}. */
  public long lastScrape(String target) {
    byte[] v = kv.get(Family.META, Keys.meta(WATERMARK + target));
    return v == null ? Long.MIN_VALUE : Keys.decodeLong(v);
  }

  /** The writes that make {@code ingest}'s samples and scrape time the target's state. */
  static List<Write> writes(Ingest ingest) {
    return List.of(
        new Write.Put(
            Family.SERIES, Keys.seriesSnapshot(ingest.target()), ingest.series().stored()),
        new Write.Put(
            Family.META,
            Keys.meta(WATERMARK + ingest.target()),
            Keys.longValue(ingest.scrapeMillis())));
  }
}
