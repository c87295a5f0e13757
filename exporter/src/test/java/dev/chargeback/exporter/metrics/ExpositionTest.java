package dev.chargeback.exporter.metrics;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.metrics.Exposition.Family;
import dev.chargeback.exporter.metrics.Exposition.LabelSet;
import dev.chargeback.exporter.metrics.Exposition.Point;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExpositionTest {
  /** Label values a namespace or a price book could carry, and values of every kind. */
  private static final String[] VALUES = {
    "default", "a\"b", "back\\slash", "new\nline", "결제-팀", "shared:kube-system", "", "x=\"}{,"
  };

  private static final double[] NUMBERS = {
    0,
    -0.0,
    1,
    3944845.067,
    1.2345678905e9,
    1e-7,
    -10.01,
    1e22,
    Double.NaN,
    Double.POSITIVE_INFINITY,
    Double.NEGATIVE_INFINITY
  };

  private static final String HELP = "Cost in \"USD\" \\ after\ndiscounts, zone Europe/Paris.";

  /** The same families for the client library, label sets sorted as its snapshots sort them. */
  private static MetricSnapshots snapshots() {
    CounterSnapshot.Builder counter = CounterSnapshot.builder().name("chargeback_cost").help(HELP);
    GaugeSnapshot.Builder gauge =
        GaugeSnapshot.builder().name("chargeback_coverage_ratio").help("g");
    for (int i = 0; i < VALUES.length; i++) {
      counter.dataPoint(
          CounterSnapshot.CounterDataPointSnapshot.builder()
              .labels(Labels.of("currency", "USD", "namespace", "n" + i, "resource", VALUES[i]))
              .value(Math.abs(NUMBERS[i]))
              .build());
    }
    for (int i = 0; i < NUMBERS.length; i++) {
      gauge.dataPoint(
          GaugeSnapshot.GaugeDataPointSnapshot.builder()
              .labels(Labels.of("namespace", "n" + (char) ('a' + i)))
              .value(NUMBERS[i])
              .build());
    }
    return MetricSnapshots.of(
        counter.build(), gauge.build(), GaugeSnapshot.builder().name("chargeback_budget").build());
  }

  private static List<Family> families() {
    List<Point> counter = new java.util.ArrayList<>();
    for (int i = 0; i < VALUES.length; i++) {
      counter.add(
          new Point(
              LabelSet.of("currency", "USD", "namespace", "n" + i, "resource", VALUES[i]),
              Math.abs(NUMBERS[i])));
    }
    List<Point> gauge = new java.util.ArrayList<>();
    for (int i = 0; i < NUMBERS.length; i++) {
      gauge.add(new Point(LabelSet.of("namespace", "n" + (char) ('a' + i)), NUMBERS[i]));
    }
    return List.of(
        new Family("chargeback_cost", HELP, true, counter),
        new Family("chargeback_coverage_ratio", "g", false, gauge),
        new Family("chargeback_budget", "", false, List.of()));
  }

  private static String client(ExpositionFormatWriter writer) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writer.write(out, snapshots());
    return out.toString(StandardCharsets.UTF_8);
  }

  private static String ours(boolean openMetrics) {
    return new String(Exposition.render(families(), openMetrics, new byte[0], false), UTF_8);
  }

  @Test
  void writesWhatTheClientLibraryWritesInBothFormats() throws Exception {
    ExpositionFormats formats = ExpositionFormats.init();
    assertThat(ours(false)).isEqualTo(client(formats.getPrometheusTextFormatWriter()));
    // OpenMetrics: the same, but for the # EOF that the page's last writer adds.
    assertThat(ours(true) + "# EOF\n").isEqualTo(client(formats.getOpenMetricsTextFormatWriter()));
    assertThat(ours(false))
        .contains(
            "chargeback_cost_total{currency=\"USD\",namespace=\"n1\",resource=\"a\\\"b\"} 0.0")
        .contains("resource=\"new\\nline\"");
  }

  @Test
  void aPageIsTheBillingFamiliesThenTheRegistrysInTheFormatAsked() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    registry.register(
        () ->
            snapshots().stream()
                .filter(m -> m.getMetadata().getName().equals("chargeback_coverage_ratio"))
                .findFirst()
                .orElseThrow());
    MetricsPage page = new MetricsPage(null, registry);
    ExpositionFormatWriter openMetrics =
        page.writer("application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(openMetrics.getContentType()).startsWith("application/openmetrics-text");
    assertThat(new String(page.render(openMetrics), UTF_8))
        .endsWith("# EOF\n")
        .containsOnlyOnce("# EOF");
    // Prometheus with native histograms asks for protobuf first, which this build cannot write
    // (the client's writer throws): it gets the text format.
    ExpositionFormatWriter proto =
        page.writer(
            "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                + "encoding=delimited;q=0.8,application/openmetrics-text;version=1.0.0;q=0.7,"
                + "text/plain;version=0.0.4;q=0.6");
    assertThat(proto.getContentType()).startsWith("text/plain");
    assertThat(new String(page.render(proto), UTF_8))
        .startsWith("# HELP chargeback_coverage_ratio g\n# TYPE chargeback_coverage_ratio gauge\n");
  }

  @Test
  void aPageLargeEnoughToBeWrittenInTwoHalvesIsWhatTheClientLibraryWrites() throws Exception {
    // Over 20,000 series: each family's halves are written at once and put together in order.
    java.util.Random random = new java.util.Random(29);
    CounterSnapshot.Builder counter = CounterSnapshot.builder().name("chargeback_cost").help(HELP);
    GaugeSnapshot.Builder gauge = GaugeSnapshot.builder().name("chargeback_budget").help("b");
    List<Point> counterPoints = new java.util.ArrayList<>();
    List<Point> gaugePoints = new java.util.ArrayList<>();
    for (int i = 0; i < 13_001; i++) {
      // In the order the client's snapshots sort series and families.
      String ns = String.format(java.util.Locale.ROOT, "ns-%05d", i) + VALUES[i % VALUES.length];
      double cost = random.nextInt(1_000_000_000) / 1e6;
      counter.dataPoint(
          CounterSnapshot.CounterDataPointSnapshot.builder()
              .labels(Labels.of("currency", "USD", "namespace", ns, "resource", "cpu"))
              .value(cost)
              .build());
      counterPoints.add(
          new Point(LabelSet.of("currency", "USD", "namespace", ns, "resource", "cpu"), cost));
      if (i % 3 != 0) {
        double value = NUMBERS[i % NUMBERS.length] * i;
        gauge.dataPoint(
            GaugeSnapshot.GaugeDataPointSnapshot.builder()
                .labels(Labels.of("namespace", ns))
                .value(value)
                .build());
        gaugePoints.add(new Point(LabelSet.of("namespace", ns), value));
      }
    }
    List<Family> families =
        List.of(
            new Family("chargeback_budget", "b", false, gaugePoints),
            new Family("chargeback_cost", HELP, true, counterPoints),
            new Family("chargeback_empty", "", false, List.of()));
    MetricSnapshots snapshots = MetricSnapshots.of(counter.build(), gauge.build());
    ExpositionFormats formats = ExpositionFormats.init();
    for (boolean openMetrics : new boolean[] {false, true}) {
      ExpositionFormatWriter writer =
          openMetrics
              ? formats.getOpenMetricsTextFormatWriter()
              : formats.getPrometheusTextFormatWriter();
      ByteArrayOutputStream client = new ByteArrayOutputStream();
      writer.write(client, snapshots);
      byte[] tail = "# EOF\n".getBytes(StandardCharsets.US_ASCII);
      String ours =
          new String(
              Exposition.render(families, openMetrics, openMetrics ? tail : new byte[0], false),
              StandardCharsets.UTF_8);
      assertThat(ours).isEqualTo(client.toString(StandardCharsets.UTF_8));
      byte[] zipped = Exposition.render(families, openMetrics, tail, true);
      assertThat(new String(oneGzipMember(zipped), StandardCharsets.UTF_8))
          .isEqualTo(new String(Exposition.render(families, openMetrics, tail, false), UTF_8));
    }
  }

  @Test
  void aSmallPageIsCompressedAsOneGzipMemberToo() throws Exception {
    byte[] tail = "# EOF\n".getBytes(StandardCharsets.US_ASCII);
    byte[] plain = Exposition.render(families(), true, tail, false);
    assertThat(oneGzipMember(Exposition.render(families(), true, tail, true))).isEqualTo(plain);
    try (var in =
        new java.util.zip.GZIPInputStream(
            new java.io.ByteArrayInputStream(Exposition.render(families(), true, tail, true)))) {
      assertThat(in.readAllBytes()).isEqualTo(plain);
    }
  }

  /**
   * What a reader of one gzip member reads (some read no further): a header, one deflate stream to
   * its end, the CRC-32 and size of what it held, and nothing after.
   */
  private static byte[] oneGzipMember(byte[] gz) throws Exception {
    assertThat(gz[0]).isEqualTo((byte) 0x1f);
    assertThat(gz[1]).isEqualTo((byte) 0x8b);
    assertThat(gz[3]).as("no optional fields").isZero();
    java.util.zip.Inflater inflater = new java.util.zip.Inflater(true);
    inflater.setInput(gz, 10, gz.length - 10);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    while (!inflater.finished()) {
      int n = inflater.inflate(buf);
      assertThat(n > 0 || !inflater.needsInput()).as("the stream ends before the input").isTrue();
      out.write(buf, 0, n);
    }
    assertThat(inflater.getRemaining()).as("the trailer only").isEqualTo(8);
    inflater.end();
    byte[] plain = out.toByteArray();
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(plain);
    java.nio.ByteBuffer trailer =
        java.nio.ByteBuffer.wrap(gz, gz.length - 8, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    assertThat(trailer.getInt()).isEqualTo((int) crc.getValue());
    assertThat(trailer.getInt()).isEqualTo(plain.length);
    return plain;
  }

  private static String fixed(double value, int decimals) {
    List<Family> x =
        List.of(new Family("x", "h", false, decimals, List.of(new Point(LabelSet.of(), value))));
    String text = new String(Exposition.render(x, false, new byte[0], false), UTF_8);
    return text.substring(text.lastIndexOf("x ") + 2, text.length() - 1);
  }

  @Test
  void amountsOfWholeQuantaAreWrittenAsTheirExactDecimalsAndReadBackAsTheSameDouble()
      throws Exception {
    java.util.Random random = new java.util.Random(19);
    for (int decimals : new int[] {0, 3, 6}) {
      for (int i = 0; i < 20_000; i++) {
        // Quanta up to 2^53, as the store's amounts are converted: units / 10^decimals.
        long quanta = random.nextLong(1L << (1 + random.nextInt(53)));
        if (random.nextBoolean()) {
          quanta = -quanta;
        }
        double amount = (double) quanta / Math.pow(10, decimals);
        String text = fixed(amount, decimals);
        assertThat(Double.parseDouble(text)).as(text).isEqualTo(amount);
        if (decimals == 0 || Math.abs(quanta) < 1L << 50) {
          assertThat(new java.math.BigDecimal(text))
              .as("exact")
              .isEqualByComparingTo(java.math.BigDecimal.valueOf(quanta, decimals));
        }
      }
    }
    assertThat(fixed(3944845.067, 3)).isEqualTo("3944845.067");
    assertThat(fixed(1.5, 6)).isEqualTo("1.5");
    assertThat(fixed(-10.01, 6)).isEqualTo("-10.01");
    assertThat(fixed(0.000001, 6)).isEqualTo("0.000001");
    assertThat(fixed(123456789.5, 6)).isEqualTo("123456789.5");
    assertThat(fixed(7, 3)).isEqualTo("7");
    // A gauge computed in doubles is rounded to the quantum (no 6.999999999999 of a currency).
    assertThat(fixed(7 - 1e-12, 6)).isEqualTo("7");
    // Beyond what the long holds, or 2^50 quanta of a fraction, and what is not a number, as any
    // double.
    assertThat(fixed(3.5e19, 0)).isEqualTo("3.5E19");
    assertThat(fixed(2e9 + 0.25, 6)).isEqualTo("2.00000000025E9");
    assertThat(fixed(Double.NaN, 6)).isEqualTo("NaN");
    assertThat(fixed(Double.NEGATIVE_INFINITY, 3)).isEqualTo("-Inf");
  }
}
