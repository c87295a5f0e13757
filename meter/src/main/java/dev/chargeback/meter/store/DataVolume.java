package dev.chargeback.meter.store;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Space on the file system that holds the store. Both the meter and the exporter see the same
 * volume, so either can say that it is (nearly) full, whatever process writes.
 *
 * @param freeBytes usable by this process
 * @param capacityBytes the file system's size
 */
public record DataVolume(long freeBytes, long capacityBytes) {
  /** Below this share of the capacity (and below {@link #LOW_BYTES}) the volume counts as low. */
  private static final double LOW_SHARE = 0.05;

  /** RocksDB's flushes and compactions need room; 64 MiB is plenty for this store. */
  private static final long LOW_BYTES = 64L << 20;

  /** The volume holding {@code dir}, or null when it cannot be read. */
  public static DataVolume of(Path dir) {
    try {
      FileStore fs = Files.getFileStore(dir);
      return new DataVolume(fs.getUsableSpace(), fs.getTotalSpace());
    } catch (IOException | SecurityException e) {
      return null;
    }
  }

  /** Whether free space is below both 5% of the capacity and 64 MiB. */
  public boolean low() {
    return freeBytes < Math.min(LOW_BYTES, (long) (capacityBytes * LOW_SHARE));
  }

  /** What /readyz says of a low volume. */
  public String describe(Path dir) {
    return String.format(
        Locale.ROOT,
        "the data volume at %s is %s: %.1f MiB free of %.1f MiB",
        dir,
        freeBytes == 0 ? "full" : "nearly full",
        freeBytes / 1048576.0,
        capacityBytes / 1048576.0);
  }
}
