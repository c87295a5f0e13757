package dev.chargeback.meter.exposition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
  private static final Map<String, String> EXPORTER =
      Map.of("app.kubernetes.io/name", "prometheus-node-exporter", "tier", "infra");

  @Test
  void equalityTermsMustAllHold() {
    assertThat(
            LabelSelector.parse("app.kubernetes.io/name=prometheus-node-exporter")
                .matches(EXPORTER))
        .isTrue();
    assertThat(
            LabelSelector.parse("app.kubernetes.io/name==prometheus-node-exporter, tier=infra")
                .matches(EXPORTER))
        .isTrue();
    assertThat(LabelSelector.parse("app.kubernetes.io/name=node-exporter").matches(EXPORTER))
        .isFalse();
    assertThat(LabelSelector.parse("tier!=infra").matches(EXPORTER)).isFalse();
    assertThat(LabelSelector.parse("tier!=web").matches(EXPORTER)).isTrue();
  }

  @Test
  void existenceTerms() {
    assertThat(LabelSelector.parse("tier").matches(EXPORTER)).isTrue();
    assertThat(LabelSelector.parse("!tier").matches(EXPORTER)).isFalse();
    assertThat(LabelSelector.parse("!canary").matches(null)).isTrue();
    assertThat(LabelSelector.parse("tier").matches(null)).isFalse();
  }

  @Test
  void anEmptySelectorMatchesEverything() {
    assertThat(LabelSelector.parse("").matches(Map.of())).isTrue();
  }

  @Test
  void setBasedSyntaxIsRefusedByName() {
    assertThatThrownBy(() -> LabelSelector.parse("tier in (infra, web)"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'tier in (infra'");
  }
}
