package dev.chargeback.meter.usage;

import dev.chargeback.meter.rollup.Resource;

/**
 * One billable series' sample, selected from a scrape and ready for accounting.
 *
 * @param seriesId the series' full identity (metric name and every label): the cgroup {@code id}
 *     holds the pod UID, so a pod re-created under the same name is a new series
 * @param startSeconds the container's start time ({@code container_start_time_seconds}), or NaN
 */
public record Reading(
    String seriesId,
    Kind kind,
    Resource resource,
    String namespace,
    String workload,
    String node,
    double value,
    long timestampMillis,
    double startSeconds) {

  /** How samples of a series turn into usage. */
  public enum Kind {
    /** Cumulative: usage is the delta between samples; a drop is a reset. */
    COUNTER,
    /** Instantaneous: usage is the time integral (trapezoid) between samples. */
    GAUGE
  }
}
