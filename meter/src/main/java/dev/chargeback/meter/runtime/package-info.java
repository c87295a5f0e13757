/**
 * The meter's composition root: builds the writer's parts (store, meter, scrape loop, discovery,
 * periodic tasks) in order and stops them in the reverse order, each awaited before the store
 * closes.
 */
package dev.chargeback.meter.runtime;
