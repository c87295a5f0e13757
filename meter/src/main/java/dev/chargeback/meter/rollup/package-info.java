/**
 * The rollup vocabulary every layer shares: what is metered ({@link
 * dev.chargeback.meter.rollup.Resource}), for whom ({@link dev.chargeback.meter.rollup.Scope},
 * {@link dev.chargeback.meter.rollup.RollupKey}), usage over an interval ({@link
 * dev.chargeback.meter.rollup.Usage}) and what one scrape changes ({@link
 * dev.chargeback.meter.rollup.Ingest}, {@link dev.chargeback.meter.rollup.Point}). It depends on
 * nothing else of chargeback, so the store below and metering, pricing and bills above all use it.
 */
package dev.chargeback.meter.rollup;
