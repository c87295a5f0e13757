package dev.chargeback.meter.exposition;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.Selection;
import dev.chargeback.meter.usage.SourceRole;
import java.util.Arrays;

/**
 * Fuzzes the parser and the selections behind it with Jazzer. The first byte picks the format ('O'
 * OpenMetrics, else text) and the role; the rest is the body. Properties: the only failure is a
 * line-numbered {@link ExpositionException}; no sample exceeds the label bound; nothing hangs or
 * allocates without bound (the limits are small). {@code .ci/run} fuzzes for 30 s (JAZZER_FUZZ=1,
 * surefire execution {@code fuzz}); without that variable the seeds in {@code
 * ExpositionParserFuzzTestInputs} run as a regression test. A long run: {@code JAZZER_FUZZ=1 ./mvnw
 * -pl meter test -Dtest=ExpositionParserFuzzTest -Djazzer.max_duration=1h}.
 */
class ExpositionParserFuzzTest {
  private static final ParserLimits LIMITS = new ParserLimits(4096, 8, 1 << 16);
  private final ExpositionParser parser = new ExpositionParser(LIMITS);

  @FuzzTest(maxDuration = "30s")
  void parse(byte[] data) {
    if (data.length == 0) {
      return;
    }
    Format format = data[0] == 'O' ? Format.OPENMETRICS : Format.TEXT;
    SourceRole role = SourceRole.values()[Math.floorMod(data[0], SourceRole.values().length)];
    byte[] body = Arrays.copyOfRange(data, 1, data.length);
    Selection selection = Selection.forRole(role, "node", new PodDirectory());
    SampleSink checked =
        new SampleSink() {
          @Override
          public boolean wants(String name) {
            return true;
          }

          @Override
          public void type(String name, MetricType type) {
            selection.type(name, type);
          }

          @Override
          public void sample(Sample s) {
            assertThat(s.labels().size()).isLessThanOrEqualTo(LIMITS.maxLabels());
            if (selection.wants(s.name())) {
              selection.sample(s);
            }
          }
        };
    try {
      parser.parse(body, format, checked);
      selection.finish(1_700_000_000_000L);
    } catch (ExpositionException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
