/**
 * The web pages: the month's namespaces at a glance ({@code /}) and each namespace's month ({@code
 * /ns/NAME}), rendered on the server from the same bills as the PDF, with the same access rules.
 */
package dev.chargeback.exporter.web;
