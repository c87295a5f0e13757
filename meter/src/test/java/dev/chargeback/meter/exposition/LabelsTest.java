package dev.chargeback.meter.exposition;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LabelsTest {
  @Test
  void labelNamesAreLettersDigitsAndUnderscoresNotStartingWithADigit() {
    for (String good : new String[] {"cluster", "_x", "k8s_cluster", "A1"}) {
      assertThat(Labels.isName(good)).as(good).isTrue();
    }
    for (String bad : new String[] {"", "1cluster", "k8s-cluster", "cluster name", "é", "a.b"}) {
      assertThat(Labels.isName(bad)).as(bad).isFalse();
    }
  }

  @Test
  void aSeriesIdentityIsThatOfItsTextWithoutBuildingIt() {
    // Values a hostile pod can set: quotes, backslashes, newlines, non-ASCII.
    Random random = new Random(7);
    String alphabet = "ab\\\"\n{}=,é한😀";
    Set<Long> seen = new HashSet<>();
    Set<String> texts = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      StringBuilder value = new StringBuilder();
      for (int j = random.nextInt(12); j > 0; j--) {
        value.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      Labels labels = Labels.of("namespace", "team-" + (i % 7), "pod", value.toString());
      long identity = labels.identity("container_cpu_usage_seconds_total");
      assertThat(identity)
          .isEqualTo(Labels.identityOf("container_cpu_usage_seconds_total" + labels));
      seen.add(identity);
      texts.add(labels.toString());
    }
    // Distinct texts, distinct identities.
    assertThat(seen).hasSameSizeAs(texts);
    assertThat(Labels.of("a", "b").identity("m")).isNotEqualTo(Labels.of("a", "b").identity("n"));
    assertThat(Labels.of("a", "b\"").identity("m"))
        .isNotEqualTo(Labels.of("a", "b\\").identity("m"));
  }
}
