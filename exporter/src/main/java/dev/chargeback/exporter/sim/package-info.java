/** Serves the simulated cluster's endpoints over HTTP, for the demo and for tests. */
package dev.chargeback.exporter.sim;
