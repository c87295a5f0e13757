/**
 * Finds what to meter from the Kubernetes API: kubelets (directly or through the API server proxy),
 * node-exporter pods, kube-state-metrics, pod owners and host networking, namespace labels. Lists
 * and watches with fabric8 informers, so nodes and pods that come and go are followed without
 * restarts, and an API outage keeps the last known targets.
 */
package dev.chargeback.meter.discovery;
