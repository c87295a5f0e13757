/**
 * The benchmark table: figures with a reference measured in the same run. Test scope, so none of it
 * ships in chargeback.jar; {@code ./mvnw -B -q package -DskipTests -Pbench} prints it.
 */
package dev.chargeback.exporter.bench;
