/** {@code chargeback bench}: figures with a reference measured in the same run. */
package dev.chargeback.exporter.bench;
