package dev.chargeback.meter.store;

import dev.chargeback.meter.rollup.Ingest;
import dev.chargeback.meter.rollup.Point;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Each target's last samples (family {@link Family#SERIES}, key {@code target | series id}) and its
 * last successful scrape (a watermark in {@link Family#META}): what an accountant resumes from
 * after a restart. Written in the same batch as the usage they produced.
 */
public final class SeriesState {
  private static final String WATERMARK = "target/last_scrape/";

  static final String FORMAT_KEY = "store/series_format";

  /** Series keyed by their 64-bit identity ({@link Keys#seriesState}). */
  static final String IDENTITIES = "identity-1";

  private final KeyValueStore kv;
  private final Meta meta;

  SeriesState(KeyValueStore kv, Meta meta) {
    this.kv = kv;
    this.meta = meta;
  }

  /**
   * Re-keys last samples stored under their series' text (before identities were numbers) by
   * identity, once, on the writer's first start; each batch moves whole entries, so a crash leaves
   * a store the next start finishes, and readers take both forms meanwhile.
   *
   * @return how many entries were moved
   */
  static long ensureIdentities(KeyValueStore kv, Meta meta, Consumer<List<Write>> writer) {
    if (IDENTITIES.equals(meta.text(FORMAT_KEY))) {
      return 0;
    }
    long moved =
        RollupFormat.rewrite(
            kv,
            Family.SERIES,
            (k, v) -> {
              if (!Keys.isTextSeriesKey(k)) {
                return List.of();
              }
              String target = Keys.decodeSeriesTarget(k);
              long id = Keys.decodeSeries(k, Keys.targetPrefix(target).length);
              return List.of(
                  new Write.Delete(Family.SERIES, k),
                  new Write.Put(Family.SERIES, Keys.seriesState(target, id), v));
            },
            writer);
    meta.put(FORMAT_KEY, IDENTITIES);
    return moved;
  }

  /** A target's stored last samples, by series identity. */
  public Map<Long, Point> of(String target) {
    Map<Long, Point> out = new HashMap<>();
    byte[] prefix = Keys.targetPrefix(target);
    kv.scan(
        Family.SERIES,
        prefix,
        Keys.prefixEnd(prefix),
        (k, v) -> {
          out.put(Keys.decodeSeries(k, prefix.length), Keys.decodePoint(v));
          return true;
        });
    return out;
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
    List<Write> writes = new ArrayList<>(ingest.seriesPuts().size() + 1);
    for (Map.Entry<Long, Point> e : ingest.seriesPuts().entrySet()) {
      writes.add(
          new Write.Put(
              Family.SERIES,
              Keys.seriesState(ingest.target(), e.getKey()),
              Keys.pointValue(e.getValue())));
    }
    for (long id : ingest.seriesDeletes()) {
      writes.add(new Write.Delete(Family.SERIES, Keys.seriesState(ingest.target(), id)));
    }
    writes.add(
        new Write.Put(
            Family.META,
            Keys.meta(WATERMARK + ingest.target()),
            Keys.longValue(ingest.scrapeMillis())));
    return writes;
  }
}
