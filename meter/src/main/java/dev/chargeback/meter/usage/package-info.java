/**
 * Accounting: which scraped series are billable usage, and how samples become exact usage
 * increments (counter deltas with resets, gauge integrals, short-lived containers).
 */
package dev.chargeback.meter.usage;
