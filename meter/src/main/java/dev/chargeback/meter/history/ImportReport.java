package dev.chargeback.meter.history;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What an import did, hour by hour. */
public final class ImportReport {
  final List<Long> written = new ArrayList<>();
  final List<Long> alreadyOwned = new ArrayList<>();
  final List<Long> empty = new ArrayList<>();
  final List<String> failed = new ArrayList<>();
  long samples;
  final Map<String, Integer> clusters = new TreeMap<>();

  /** Hours written by this import. */
  public List<Long> written() {
    return List.copyOf(written);
  }

  /** Hours left alone: live metering or an earlier import already owns them. */
  public List<Long> alreadyOwned() {
    return List.copyOf(alreadyOwned);
  }

  /** Hours for which the source had no data (not marked, so a later import can fill them). */
  public List<Long> empty() {
    return List.copyOf(empty);
  }

  /** Hours that failed, with the reason ("2026-10-01T03:00Z: HTTP 503 …"); retried next time. */
  public List<String> failed() {
    return List.copyOf(failed);
  }

  public long samples() {
    return samples;
  }

  /** Hours written per other cluster (a central import's), by name. */
  public Map<String, Integer> clusters() {
    return Map.copyOf(clusters);
  }

  void written(String cluster, long hourMillis) {
    if (!cluster.isEmpty()) {
      clusters.merge(cluster, 1, Integer::sum);
    }
  }

  void fail(long hourMillis, String reason) {
    failed.add(Instant.ofEpochMilli(hourMillis) + ": " + reason);
  }

  /** A few lines for people: counts, and every failed hour. */
  public String summary() {
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "imported %d hour(s)%s; %d already had a source (left alone); %d had no data; %d failed%n",
            written.size(),
            samples > 0 ? " from " + samples + " samples" : "",
            alreadyOwned.size(),
            empty.size(),
            failed.size()));
    if (!written.isEmpty()) {
      out.append("  written: ")
          .append(Instant.ofEpochMilli(written.getFirst()))
          .append(" … ")
          .append(Instant.ofEpochMilli(written.getLast()))
          .append(System.lineSeparator());
    }
    clusters.forEach(
        (c, n) ->
            out.append("  cluster ")
                .append(c)
                .append(": ")
                .append(n)
                .append(" hour(s) written")
                .append(System.lineSeparator()));
    for (String f : failed) {
      out.append("  missing ").append(f).append(System.lineSeparator());
    }
    if (!failed.isEmpty()) {
      out.append("  the missing hours were not filled; run the same import again to retry them")
          .append(System.lineSeparator());
    }
    return out.toString();
  }
}
