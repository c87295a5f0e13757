/**
 * The meter's admin endpoints ({@code POST /admin/import}, {@code POST /admin/backup}): served on a
 * loopback address only, each request validated field by field, and every file it names confined to
 * the operator's {@code admin.directories}.
 */
package dev.chargeback.exporter.admin;
