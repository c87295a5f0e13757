package dev.chargeback.meter.store;

/** One operation of an atomic batch. */
public sealed interface Write {
  Family family();

  /** Sets a key. */
  record Put(Family family, byte[] key, byte[] value) implements Write {}

  /**
   * Adds a signed 64-bit integer to a key's value (8 bytes, little-endian, {@link Keys#fixed}); an
   * absent key counts as 0. RocksDB applies it as a merge operand ({@code uint64add}), so the
   * writer never reads the value it adds to.
   */
  record Add(Family family, byte[] key, long amount) implements Write {}

  /** Removes a key. */
  record Delete(Family family, byte[] key) implements Write {}

  /** Removes every key in [from, to). */
  record DeleteRange(Family family, byte[] from, byte[] to) implements Write {}
}
