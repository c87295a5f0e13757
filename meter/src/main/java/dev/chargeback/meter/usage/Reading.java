package dev.chargeback.meter.usage;

import dev.chargeback.meter.rollup.Resource;

/**
 * One billable series' sample, selected from a scrape and ready for accounting.
 *
 * @param series the series' full identity (metric name and every label, {@link
 *     dev.chargeback.meter.exposition.Labels#identity}): the cgroup {@code id} holds the pod UID,
 *     so a pod re-created under the same name is a new series
 * @param startSeconds the container's start time ({@code container_start_time_seconds}), or NaN
 * @param container the container this is the usage of ({@code namespace/pod/container}), when basis
 *     {@code max} is metered for it; else empty
 * @param request the container's request (cores or bytes) when requests are metered: 0 when none is
 *     known; NaN when requests are not metered or the reading is no container's CPU or memory
 * @param device of GPU time, the MIG profile or "" for a whole GPU; else ""
 */
public record Reading(
    long series,
    Kind kind,
    Resource resource,
    String namespace,
    String workload,
    String node,
    double value,
    long timestampMillis,
    double startSeconds,
    String container,
    double request,
    String device) {

  /** A reading of no particular device. */
  public Reading(
      long series,
      Kind kind,
      Resource resource,
      String namespace,
      String workload,
      String node,
      double value,
      long timestampMillis,
      double startSeconds,
      String container,
      double request) {
    this(
        series,
        kind,
        resource,
        namespace,
        workload,
        node,
        value,
        timestampMillis,
        startSeconds,
        container,
        request,
        "");
  }

  /** A reading without a container request. */
  public Reading(
      long series,
      Kind kind,
      Resource resource,
      String namespace,
      String workload,
      String node,
      double value,
      long timestampMillis,
      double startSeconds) {
    this(
        series,
        kind,
        resource,
        namespace,
        workload,
        node,
        value,
        timestampMillis,
        startSeconds,
        "",
        Double.NaN);
  }

  /** How samples of a series turn into usage. */
  public enum Kind {
    /** Cumulative: usage is the delta between samples; a drop is a reset. */
    COUNTER,
    /** Instantaneous: usage is the time integral (trapezoid) between samples. */
    GAUGE
  }
}
