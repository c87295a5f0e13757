/**
 * The meter: scraping targets on a schedule (virtual threads, per-target timeouts and body limits)
 * and ingesting each scrape as one atomic store write.
 */
package dev.chargeback.meter.scrape;
