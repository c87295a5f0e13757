package dev.chargeback.meter.exposition;

/** A metric family's declared type ({@code # TYPE}); {@link #UNKNOWN} when undeclared. */
public enum MetricType {
  COUNTER,
  GAUGE,
  HISTOGRAM,
  GAUGEHISTOGRAM,
  SUMMARY,
  INFO,
  STATESET,
  UNTYPED,
  UNKNOWN;

  static MetricType parse(String word) {
    return switch (word) {
      case "counter" -> COUNTER;
      case "gauge" -> GAUGE;
      case "histogram" -> HISTOGRAM;
      case "gaugehistogram" -> GAUGEHISTOGRAM;
      case "summary" -> SUMMARY;
      case "info" -> INFO;
      case "stateset" -> STATESET;
      case "untyped" -> UNTYPED;
      case "unknown" -> UNKNOWN;
      default -> null;
    };
  }
}
