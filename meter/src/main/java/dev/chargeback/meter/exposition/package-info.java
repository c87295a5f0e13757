/**
 * Streaming parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0, straight from bytes:
 * no regex, bounded line length, label count and body size, errors with line numbers.
 */
package dev.chargeback.meter.exposition;
