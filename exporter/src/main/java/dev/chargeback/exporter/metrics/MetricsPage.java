package dev.chargeback.exporter.metrics;

import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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

  /** The page as {@code writer} formats it. */
  public byte[] render(ExpositionFormatWriter writer) {
    return render(writer, false);
  }

  /**
   * The page as {@code writer} formats it, compressed as one gzip member if {@code gzip}: at 10,000
   * namespaces the page is 16 MB, and the web server compressing every response at its own default
   * level cost more than making the page.
   */
  public byte[] render(ExpositionFormatWriter writer, boolean gzip) {
    List<Exposition.Family> families = billing == null ? List.of() : billing.collect();
    ByteArrayOutputStream registryText = new ByteArrayOutputStream();
    try {
      writer.write(registryText, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Exposition.render(
        families, writer instanceof OpenMetricsTextFormatWriter, registryText.toByteArray(), gzip);
  }
}
