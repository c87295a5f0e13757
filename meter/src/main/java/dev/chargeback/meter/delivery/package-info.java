/**
 * Final bills delivered when a month closes: once per namespace, month and channel (e-mail,
 * webhook, the log), the state kept in the store, failures retried with backoff.
 */
package dev.chargeback.meter.delivery;
