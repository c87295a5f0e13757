/**
 * Bills: usage rollups priced day by day with the version in force, money in {@code BigDecimal}
 * rounded once per line; rendered as PDF, JSON and CSV.
 */
package dev.chargeback.meter.bill;
