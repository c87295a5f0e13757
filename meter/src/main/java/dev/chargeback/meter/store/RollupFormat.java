package dev.chargeback.meter.store;

import java.util.ArrayList;
import java.util.List;
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
      List<Write> batch = new ArrayList<>(BATCH);
      long[] count = {0};
      kv.scan(
          f,
          new byte[0],
          null,
          (k, v) -> {
            if (v.length == 16) {
              long units = Keys.decodeSeries(k).resource().units(Keys.first(v));
              batch.add(new Write.Put(f, k, Keys.fixed(units)));
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
      converted += count[0];
    }
    meta.put(META_KEY, FIXED);
    if (converted > 0) {
      LOG.info(
          "converted {} rollup values to integers (a one-time change of the store)", converted);
    }
    return converted;
  }
}
