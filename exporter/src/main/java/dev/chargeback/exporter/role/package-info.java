/**
 * The roles ({@code meter}, {@code exporter}, {@code standalone}, {@code demo}) wired from parts.
 */
package dev.chargeback.exporter.role;
