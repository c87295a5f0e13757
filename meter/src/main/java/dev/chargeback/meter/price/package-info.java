/**
 * Price books: versions effective from a local day, unit prices, basis, per-namespace terms, tax
 * and idle-cost policy; strictly validated YAML.
 */
package dev.chargeback.meter.price;
