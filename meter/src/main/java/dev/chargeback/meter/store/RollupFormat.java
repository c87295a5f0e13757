package dev.chargeback.meter.store;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rollup values are integers: a count of the resource's quantum, 8 bytes, added to with merge
 * operands ({@link Write.Add}). Stores written before were doubles and counts (16 bytes); the
 * writer converts them once, before its first merge (a merge onto a 16-byte value would count it as
 * 0). Each batch converts whole keys and 8-byte values are left alone, so a crash during the
 * conversion leaves a store that the next start finishes; readers decode both forms meanwhile.
 */
final class RollupFormat {
  private static final Logger LOG = LoggerFactory.getLogger(RollupFormat.class);

  static final String META_KEY = "store/rollup_format";

  /** The current form: integers of {@link dev.chargeback.meter.rollup.Resource#units}. */
  static final String FIXED = "fixed-1";

  private static final Family[] ROLLUPS = {Family.TOTAL, Family.R1D, Family.R1H, Family.R5M};

  private static final int BATCH = 4096;

  private RollupFormat() {}

  /**
   * Writes, in batches of whole entries, what {@code convert} makes of each entry of a family (no
   * writes: the entry is left as it is); a one-time change of the store's form.
   *
   * @return how many entries were rewritten
   */
  static long rewrite(
      KeyValueStore kv,
      Family f,
      BiFunction<byte[], byte[], List<Write>> convert,
      Consumer<List<Write>> writer) {
    List<Write> batch = new ArrayList<>(BATCH + 2);
    long[] count = {0};
    kv.scan(
        f,
        new byte[0],
        null,
        (k, v) -> {
          List<Write> writes = convert.apply(k, v);
          if (!writes.isEmpty()) {
            batch.addAll(writes);
            count[0]++;
            if (batch.size() >= BATCH) {
              writer.accept(List.copyOf(batch));
              batch.clear();
            }
          }
          return true;
        });
    if (!batch.isEmpty()) {
      writer.accept(batch);
    }
    return count[0];
  }

  /**
   * Makes every rollup an integer and marks the store as such (at once for a new store).
   *
   * @return how many values were converted
   */
  static long ensure(KeyValueStore kv, Meta meta, Consumer<List<Write>> writer) {
    if (FIXED.equals(meta.text(META_KEY))) {
      return 0;
    }
    long converted = 0;
    for (Family f : ROLLUPS) {
      converted +=
          rewrite(
              kv,
              f,
              (k, v) ->
                  v.length != 16
                      ? List.of()
                      : List.of(
                          new Write.Put(
                              f,
                              k,
                              Keys.fixed(Keys.decodeSeries(k).resource().units(Keys.first(v))))),
              writer);
    }
    meta.put(META_KEY, FIXED);
    if (converted > 0) {
      LOG.info(
          "converted {} rollup values to integers (a one-time change of the store)", converted);
    }
    return converted;
  }
}
