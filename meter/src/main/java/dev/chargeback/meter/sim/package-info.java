/**
 * A simulated cluster with known usage: kubelets (cAdvisor), kube-state-metrics and node-exporter
 * rendered as real exposition text at any instant, with the exact usage they imply. It drives the
 * {@code demo} role and the accuracy and crash tests.
 */
package dev.chargeback.meter.sim;
