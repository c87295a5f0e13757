package dev.chargeback.exporter.metrics;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * What {@code /metrics} serves: the billing families written by {@link Exposition}, then the client
 * library's registry (the JVM's metrics, the meter's health) by its own writer, in the format the
 * scraper asks for.
 */
public final class MetricsPage {
  private final BillingMetrics billing;
  private final PrometheusRegistry registry;
  private final ExpositionFormats formats = ExpositionFormats.init();

  /**
   * @param billing the billing families, or null for none
   */
  public MetricsPage(BillingMetrics billing, PrometheusRegistry registry) {
    this.billing = billing;
    this.registry = registry;
  }

  /**
   * The writer for an {@code Accept} header: OpenMetrics or the text format. Protobuf, which a
   * Prometheus with native histograms asks for first, is not in this build: such a scraper gets the
   * text format, as the header's later choices allow, where the client's protobuf writer would
   * throw.
   */
  public ExpositionFormatWriter writer(String accept) {
    ExpositionFormatWriter writer = formats.findWriter(accept);
    return writer.isAvailable() ? writer : formats.getPrometheusTextFormatWriter();
  }

  private volatile int lastSize = 64 * 1024;

  /**
   * The page as {@code writer} formats it, in a buffer sized after the last one (16 MB at 10,000
   * namespaces: growing to it copied 16 MB more).
   */
  public byte[] render(ExpositionFormatWriter writer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(lastSize + lastSize / 8);
    try {
      write(out, writer);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    lastSize = out.size();
    return out.toByteArray();
  }

  /** Writes the page as {@code writer} formats it. */
  public void write(OutputStream out, ExpositionFormatWriter writer) throws IOException {
    List<Exposition.Family> families = billing == null ? List.of() : billing.collect();
    Exposition.write(out, families, writer instanceof OpenMetricsTextFormatWriter);
    writer.write(out, registry.scrape());
  }
}
