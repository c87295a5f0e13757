/** The HTTP face (Javalin): routes wired to the store, JSON errors, never a stack trace. */
package dev.chargeback.exporter.http;
