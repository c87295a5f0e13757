package dev.chargeback.meter.exposition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ExpositionParserTest {
  private final ExpositionParser parser = new ExpositionParser(ParserLimits.DEFAULT);

  static byte[] fixture(String name) throws IOException {
    try (InputStream in = ExpositionParserTest.class.getResourceAsStream("/fixtures/" + name)) {
      return in.readAllBytes();
    }
  }

  private List<Sample> parse(String body, Format format) throws ExpositionException {
    List<Sample> out = new ArrayList<>();
    parser.parse(body.getBytes(StandardCharsets.UTF_8), format, out::add);
    return out;
  }

  private Sample one(String body) throws ExpositionException {
    List<Sample> samples = parse(body, Format.TEXT);
    assertThat(samples).hasSize(1);
    return samples.get(0);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "kubelet-1.35-containerd-cadvisor.prom",
        "kube-state-metrics-2.19.prom",
        "cadvisor-golden.prom",
        "node-exporter-e2e.prom"
      })
  void parsesEveryRealFixtureSample(String name) throws Exception {
    byte[] body = fixture(name);
    // Independent count: lines that are neither blank nor comments.
    long expected =
        new String(body, StandardCharsets.UTF_8)
            .lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .count();
    List<Sample> samples = new ArrayList<>();
    long lines = parser.parse(body, Format.TEXT, samples::add);
    assertThat(samples).hasSize((int) expected);
    assertThat(lines).isEqualTo(new String(body, StandardCharsets.UTF_8).lines().count());
    assertThat(samples).allSatisfy(s -> assertThat(s.name()).isNotEmpty());
  }

  @Test
  void readsKubeletRowWithLabelsValueAndMillisecondTimestamp() throws Exception {
    List<Sample> samples = new ArrayList<>();
    parser.parse(fixture("kubelet-1.35-containerd-cadvisor.prom"), Format.TEXT, samples::add);
    Sample scheduler =
        samples.stream()
            .filter(s -> s.name().equals("container_cpu_usage_seconds_total"))
            .filter(s -> s.labels().get("pod").equals("kube-scheduler-datagen-1-35"))
            .filter(s -> s.labels().get("image").isEmpty())
            .findFirst()
            .orElseThrow();
    assertThat(scheduler.value()).isEqualTo(1.052887);
    assertThat(scheduler.timestampMillis()).isEqualTo(1782468876162L);
    assertThat(scheduler.labels().get("namespace")).isEqualTo("kube-system");
    assertThat(scheduler.labels().get("cpu")).isEqualTo("total");
  }

  @Test
  void sortsLabelsAndReadsAbsentOnesAsEmpty() throws Exception {
    Sample s = one("m{b=\"2\",a=\"1\"} 3\n");
    assertThat(s.labels().name(0)).isEqualTo("a");
    assertThat(s.labels().get("b")).isEqualTo("2");
    assertThat(s.labels().get("missing")).isEmpty();
    assertThat(s.hasTimestamp()).isFalse();
  }

  @Test
  void decodesEscapesAndUtf8InLabelValues() throws Exception {
    Sample s = one("m{a=\"q\\\"b\\\\n\\nx\",k=\"팀-가\"} 1\n");
    assertThat(s.labels().get("a")).isEqualTo("q\"b\\n\nx");
    assertThat(s.labels().get("k")).isEqualTo("팀-가");
  }

  @Test
  void readsSpecialAndExponentValues() throws Exception {
    List<Sample> s =
        parse("a NaN\nb +Inf\nc -Inf\nd 1.5e+3\ne -2E-2\nf 7.7292151e+08\ng 0.1\n", Format.TEXT);
    assertThat(s.get(0).value()).isNaN();
    assertThat(s.get(1).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(s.get(2).value()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(s.get(3).value()).isEqualTo(1500.0);
    assertThat(s.get(4).value()).isEqualTo(-0.02);
    assertThat(s.get(5).value()).isEqualTo(772921510.0);
    assertThat(s.get(6).value()).isEqualTo(0.1);
  }

  @Test
  void fastNumberPathAgreesWithDoubleParseDouble() throws Exception {
    java.util.Random random = new java.util.Random(42);
    StringBuilder body = new StringBuilder();
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < 5000; i++) {
      String text =
          switch (i % 4) {
            case 0 -> Long.toString(random.nextLong() >> random.nextInt(64));
            case 1 -> Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(30) - 15));
            case 2 -> random.nextInt(100000) + "." + random.nextInt(1000000);
            default -> random.nextInt(9999) + "e" + (random.nextInt(40) - 20);
          };
      texts.add(text);
      body.append("m ").append(text).append('\n');
    }
    List<Sample> samples = parse(body.toString(), Format.TEXT);
    for (int i = 0; i < texts.size(); i++) {
      assertThat(samples.get(i).value())
          .as(texts.get(i))
          .isEqualTo(Double.parseDouble(texts.get(i)));
    }
  }

  @Test
  void openMetricsTimestampsAreSecondsAndEofEnds() throws Exception {
    String body =
        "# TYPE c counter\n# UNIT c seconds\n# HELP c help\nc_total{a=\"x\"} 5 1700000000.25\n"
            + "c_total 6 1700000001 # {trace_id=\"1\"} 1 1700000000\n# EOF\n";
    List<Sample> s = parse(body, Format.OPENMETRICS);
    assertThat(s).hasSize(2);
    assertThat(s.get(0).timestampMillis()).isEqualTo(1_700_000_000_250L);
    assertThat(s.get(1).timestampMillis()).isEqualTo(1_700_000_001_000L);
  }

  @Test
  void reportsTypesAndSkipsUnwantedMetricsWithoutParsingThem() throws Exception {
    List<String> types = new ArrayList<>();
    List<Sample> kept = new ArrayList<>();
    SampleSink sink =
        new SampleSink() {
          @Override
          public boolean wants(String name) {
            return name.equals("keep");
          }

          @Override
          public void type(String name, MetricType type) {
            types.add(name + ":" + type);
          }

          @Override
          public void sample(Sample sample) {
            kept.add(sample);
          }
        };
    parser.parse(
        "# TYPE keep gauge\nskip{this is not even valid\nkeep 1\n".getBytes(StandardCharsets.UTF_8),
        Format.TEXT,
        sink);
    assertThat(types).containsExactly("keep:GAUGE");
    assertThat(kept).extracting(Sample::value).containsExactly(1.0);
  }

  @Test
  void theSinkIsAskedOncePerRunOfLinesOfOneMetricAndItsAnswerFollowsTheName() throws Exception {
    List<String> asked = new ArrayList<>();
    List<String> kept = new ArrayList<>();
    SampleSink sink =
        new SampleSink() {
          @Override
          public boolean wants(String name) {
            asked.add(name);
            return name.equals("keep");
          }

          @Override
          public void sample(Sample sample) {
            kept.add(sample.name() + "=" + sample.value());
          }
        };
    // Names that start with one another, runs of one, and a name that comes back.
    parser.parse(
        ("keep 1\nkeep{a=\"x\"} 2\nkeep_more 3\nkeep_more 4\nkee 5\nkeep 6\n"
                + "keep_more 7\n# HELP keep x\nkeep 8\n")
            .getBytes(StandardCharsets.UTF_8),
        Format.TEXT,
        sink);
    assertThat(kept).containsExactly("keep=1.0", "keep=2.0", "keep=6.0", "keep=8.0");
    assertThat(asked).containsExactly("keep", "keep_more", "kee", "keep", "keep_more", "keep");
  }

  @Test
  void lineEndsAreFoundAtEveryOffsetBesideAnyByte() throws Exception {
    // Values of every length from 0 to 19 put each '\n' at every offset within eight bytes, next to
    // ASCII, multi-byte UTF-8 (Hangul, 0xEA 0xB0 0x80) and bytes one off from '\n' (\u000b, \t).
    StringBuilder body = new StringBuilder();
    List<String> values = new ArrayList<>();
    String[] fill = {"x", "한", "\u000b", "\t", "\u0089"};
    for (int length = 0; length < 20; length++) {
      for (String f : fill) {
        String value = f.repeat(length);
        values.add(value);
        body.append("m{v=\"").append(value).append("\"} ").append(values.size()).append('\n');
      }
    }
    List<Sample> samples = parse(body.toString(), Format.TEXT);
    assertThat(samples).extracting(x -> x.labels().get("v")).containsExactlyElementsOf(values);
    assertThat(samples)
        .extracting(Sample::value)
        .containsExactlyElementsOf(
            java.util.stream.IntStream.rangeClosed(1, values.size())
                .asDoubleStream()
                .boxed()
                .toList());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ok 1\nbad{a=\"x} 1\n|line 2: unterminated quoted string",
        "ok 1\n\nm{a=\"1\" b=\"2\"} 1\n|line 3: expected ',' or '}'",
        "m{a=\"1\",a=\"2\"} 1\n|line 1: duplicate label a",
        "m 1x\n|line 1: invalid value '1x'",
        "m 1 17000000000.5\n|line 1: invalid timestamp",
        "m{1a=\"x\"} 1\n|line 1: expected a label name",
        "m{a=\"\\t\"} 1\n|line 1: invalid escape",
        "m\n|line 1: expected a space and a value",
        "# TYPE m bogus\n|line 1: unknown metric type 'bogus'",
        "m 1 2 3\n|line 1: unexpected text after the sample",
        "m{a=\"1\"\n|line 1: unterminated label set",
        "m Infinity\n|line 1: invalid value 'Infinity'",
      })
  void malformedLinesFailWithTheirLineNumber(String caseText) {
    String[] parts = caseText.split("\\|");
    assertThatThrownBy(() -> parse(parts[0], Format.TEXT))
        .isInstanceOf(ExpositionException.class)
        .hasMessageContaining(parts[1]);
  }

  @Test
  void openMetricsWithoutEofIsTruncated() {
    assertThatThrownBy(() -> parse("a 1\n", Format.OPENMETRICS))
        .hasMessageContaining("missing # EOF");
    assertThatThrownBy(() -> parse("a 1\n# EOF\nb 2\n", Format.OPENMETRICS))
        .hasMessageContaining("line 3: content after # EOF");
  }

  @Test
  void limitsAreEnforcedWithClearErrors() {
    ExpositionParser tight = new ExpositionParser(new ParserLimits(64, 2, 1000));
    String longLine = "m{a=\"" + "x".repeat(100) + "\"} 1\n";
    assertThatThrownBy(() -> tight.parse(("ok 1\n" + longLine).getBytes(), Format.TEXT, s -> {}))
        .hasMessage("line 2: line longer than 64 bytes");
    assertThatThrownBy(
            () -> tight.parse("m{a=\"1\",b=\"2\",c=\"3\"} 1\n".getBytes(), Format.TEXT, s -> {}))
        .hasMessage("line 1: more than 2 labels");
    byte[] big = "m 1\n".repeat(300).getBytes();
    assertThatThrownBy(() -> tight.parse(big, Format.TEXT, s -> {}))
        .hasMessage("body larger than 1000 bytes");
  }

  @Test
  void aLineSplitAcrossReadsIsParsedWhole() throws Exception {
    byte[] body = ("m{a=\"" + "y".repeat(20000) + "\"} 2 5\n").repeat(10).getBytes();
    List<Sample> samples = new ArrayList<>();
    // One byte per read: every line straddles many buffer refills.
    InputStream trickle =
        new java.io.ByteArrayInputStream(body) {
          @Override
          public synchronized int read(byte[] b, int off, int len) {
            return super.read(b, off, Math.min(len, 7));
          }
        };
    parser.parse(trickle, Format.TEXT, samples::add);
    assertThat(samples).hasSize(10);
    assertThat(samples.get(9).labels().get("a")).hasSize(20000);
    assertThat(samples.get(9).timestampMillis()).isEqualTo(5);
  }

  @Test
  void quotedMetricNamesAreAccepted() throws Exception {
    Sample s = one("{\"my.metric\",a=\"1\"} 4\n");
    assertThat(s.name()).isEqualTo("my.metric");
    assertThat(s.labels().get("a")).isEqualTo("1");
  }
}
