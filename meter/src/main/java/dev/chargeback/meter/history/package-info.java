/**
 * History: usage from before the meter ran, or from a Prometheus-compatible engine that already
 * holds it. An OpenMetrics file with timestamps is metered with exactly the live rules; a query API
 * is read hour by hour. Either way each UTC hour is written in one batch and marked imported, and
 * hours that already have a source (live metering or an earlier import) are left alone, so
 * importing twice changes nothing and an interrupted import resumes.
 */
package dev.chargeback.meter.history;
