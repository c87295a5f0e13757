package dev.chargeback.exporter.http;

import java.util.List;

/**
 * What {@code /readyz} answers. Not ready (503) only while the process cannot serve; conditions
 * that do not stop it serving, such as a full data volume, are notes in a ready (200) body, since
 * failing readiness would take the pod out of service and stop bills and metrics too.
 *
 * @param reason why the process cannot serve, or null when it can
 * @param notes conditions an operator should see
 */
public record Readiness(String reason, List<String> notes) {
  public Readiness {
    notes = List.copyOf(notes);
  }

  /** Ready, with {@code notes} (none when healthy). */
  public static Readiness ready(List<String> notes) {
    return new Readiness(null, notes);
  }

  public static Readiness notReady(String reason) {
    return new Readiness(reason, List.of());
  }

  public boolean isReady() {
    return reason == null;
  }

  /** The response body: "ready" or the reason, then one note per line. */
  public String body() {
    StringBuilder out = new StringBuilder(isReady() ? "ready" : reason).append('\n');
    notes.forEach(n -> out.append(n).append('\n'));
    return out.toString();
  }
}
