package dev.chargeback.exporter.role;

import dev.chargeback.meter.config.ChargebackConfig;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.store.KeyValueStore;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.StoreException;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code chargeback backup --to DIR}: a consistent RocksDB checkpoint of the store, taken by its
 * writer (the running meter through its admin endpoint, or directly on a stopped store); and {@code
 * chargeback restore --from DIR}, which makes a backup the data directory of a stopped meter.
 */
public final class BackupCommand {
  public static final Set<String> FLAGS = Set.of("to", "from", "meter-url");

  /** The admin endpoint's request. */
  public record Request(String to) {}

  private BackupCommand() {}

  /** Backs the store up to {@code --to}; returns the exit status. */
  public static int backup(ChargebackConfig c, Map<String, String> flags, PrintStream out) {
    String to = flags.get("to");
    if (to == null || to.isBlank()) {
      throw new ConfigException("backup needs --to DIR (a directory that does not exist yet)");
    }
    Path target = Path.of(to).toAbsolutePath();
    if (Files.exists(target)) {
      throw new ConfigException("flag --to: " + target + " already exists; name a new directory");
    }
    RocksKeyValueStore kv = MeterAdmin.openUnlessRunning(Path.of(c.data()));
    if (kv == null) {
      return MeterAdmin.forward(
          flags.getOrDefault("meter-url", MeterAdmin.DEFAULT_URL),
          "/admin/backup",
          new Request(target.toString()),
          out);
    }
    try (kv) {
      out.print(checkpoint(kv, target));
    }
    return 0;
  }

  /** A checkpoint of {@code kv} into the new directory {@code target}; what to tell the caller. */
  static String checkpoint(KeyValueStore kv, Path target) {
    kv.checkpoint(target);
    return "backed up to "
        + target
        + " ("
        + bytes(target) / 1024
        + " KiB)"
        + System.lineSeparator();
  }

  /** Copies a backup into {@code --data}, which must not exist or be empty. */
  public static int restore(ChargebackConfig c, Map<String, String> flags, PrintStream out) {
    String from = flags.get("from");
    if (from == null || !Files.isRegularFile(Path.of(from, "CURRENT"))) {
      throw new ConfigException("restore needs --from DIR, a directory made by chargeback backup");
    }
    Path data = Path.of(c.data()).toAbsolutePath();
    try {
      if (Files.exists(data)) {
        try (Stream<Path> entries = Files.list(data)) {
          if (entries.findAny().isPresent()) {
            throw new ConfigException(
                "config key 'data': " + data + " is not empty; restore into a new directory");
          }
        }
      }
      Files.createDirectories(data);
      try (Stream<Path> files = Files.list(Path.of(from))) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.copy(f, data.resolve(f.getFileName()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot restore into " + data, e);
    }
    // Opening it proves it is a whole store (and replays its log).
    try (RocksKeyValueStore kv = RocksKeyValueStore.openPrimary(data, true)) {
      kv.flush();
    } catch (StoreException e) {
      throw new ConfigException("restored files do not open as a store: " + e.getMessage());
    }
    out.println("restored " + from + " into " + data + "; start the meter on it");
    return 0;
  }

  private static long bytes(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException e) {
      return 0;
    }
  }
}
