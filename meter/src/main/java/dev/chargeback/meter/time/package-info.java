/** Billing time: UTC-aligned 5-minute and hourly buckets, local-midnight days, months. */
package dev.chargeback.meter.time;
