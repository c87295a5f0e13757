/**
 * Crash-safe storage: a small key-value interface with a RocksDB and an in-memory implementation
 * (one contract test for both), and the rollup store built on it.
 */
package dev.chargeback.meter.store;
