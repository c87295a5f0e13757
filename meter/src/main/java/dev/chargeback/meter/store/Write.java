package dev.chargeback.meter.store;

/** One operation of an atomic batch. */
public sealed interface Write {
  Family family();

  /** Sets a key. */
  record Put(Family family, byte[] key, byte[] value) implements Write {}

  /** Removes a key. */
  record Delete(Family family, byte[] key) implements Write {}

  /** Removes every key in [from, to). */
  record DeleteRange(Family family, byte[] from, byte[] to) implements Write {}
}
