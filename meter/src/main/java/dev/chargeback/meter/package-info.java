/** Metering: exposition parsing, scraping, accounting and the rollup store. */
package dev.chargeback.meter;
