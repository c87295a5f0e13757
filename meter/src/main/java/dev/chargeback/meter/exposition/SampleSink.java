package dev.chargeback.meter.exposition;

/** Receives what {@link ExpositionParser} reads, in input order. */
public interface SampleSink {
  /**
   * Whether samples of this metric are wanted. Lines of unwanted metrics are skipped without
   * parsing their labels, which is most of a kubelet scrape.
   */
  default boolean wants(String metricName) {
    return true;
  }

  /** A {@code # TYPE} line. */
  default void type(String metricName, MetricType type) {}

  /** One sample line. */
  void sample(Sample sample);
}
