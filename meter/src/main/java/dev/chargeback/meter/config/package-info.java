/**
 * One typed configuration: YAML file, then environment ({@code CHARGEBACK_…}), then flags, all with
 * the same keys, loaded into records. Unknown keys and bad values are errors naming the key.
 */
package dev.chargeback.meter.config;
