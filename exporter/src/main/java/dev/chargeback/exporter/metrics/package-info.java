/** Prometheus metrics built from the store at each scrape (Prometheus Java client 1.x). */
package dev.chargeback.exporter.metrics;
