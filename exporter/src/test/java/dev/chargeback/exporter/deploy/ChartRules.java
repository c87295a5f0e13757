package dev.chargeback.exporter.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import java.nio.file.Files;
import java.nio.file.Path;

/** The chart's PrometheusRule, rendered by real Helm, as a rule file Prometheus loads. */
public final class ChartRules {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private ChartRules() {}

  /**
   * Renders the chart with its PrometheusRule enabled and the budget alerts holding for {@code
   * hold} (e.g. {@code 5m}, {@code 0s}), and writes the rule groups to {@code dir/rules.yml}.
   */
  public static Path write(Path dir, String hold) throws Exception {
    Path values = dir.resolve("rule-values.yaml");
    Files.writeString(
        values,
        """
        prometheusRule:
          enabled: true
          budget:
            for: %s
            forecastFor: %s
        """
            .formatted(hold, hold));
    String out =
        new Helm(Path.of("../chart"))
            .template()
            .withName("chargeback")
            .withNamespace("chargeback")
            .withValuesFile(values)
            .call();
    try (YAMLParser parser = new YAMLFactory().createParser(out)) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode doc = it.next();
        if (doc != null && "PrometheusRule".equals(doc.path("kind").asText())) {
          ObjectNode file = YAML.createObjectNode();
          file.set("groups", doc.at("/spec/groups"));
          Path rules = dir.resolve("rules.yml");
          YAML.writeValue(rules.toFile(), file);
          return rules;
        }
      }
    }
    throw new IllegalStateException("the chart rendered no PrometheusRule");
  }
}
