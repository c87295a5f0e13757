package dev.chargeback.meter.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.exposition.ExpositionParser;
import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.rollup.Resource;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** dcgm-exporter captures (see fixtures/SOURCES.md) through the real parser. */
class DcgmSelectionTest {
  private static final long NOW = 1_782_468_880_000L;

  private static List<Reading> select(InputStream in, String node) throws Exception {
    Selection s = Selection.forRole(SourceRole.DCGM, node, new PodDirectory());
    try (in) {
      new ExpositionParser(ParserLimits.DEFAULT).parse(in, Format.TEXT, s);
    }
    return s.finish(NOW);
  }

  private static InputStream fixture(String name) {
    return DcgmSelectionTest.class.getResourceAsStream("/fixtures/" + name);
  }

  private static String text(String name) throws Exception {
    try (InputStream in = fixture(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void aPodsGpuIsItsEngineActivityInKubernetesMode() throws Exception {
    List<Reading> readings = select(fixture("dcgm-rtx4000-kubernetes.prom"), "");
    // GR_ENGINE_ACTIVE (0.004656) wins over GPU_UTIL (0 %); the node from the hostname label;
    // the framebuffer's 1 MiB held is GPU memory.
    assertThat(readings)
        .extracting(Reading::resource)
        .containsExactly(Resource.GPU, Resource.GPU_MEMORY);
    assertThat(readings.get(1).value()).isEqualTo(1024.0 * 1024);
    Reading r = readings.getFirst();
    assertThat(r.resource()).isEqualTo(Resource.GPU);
    assertThat(r.kind()).isEqualTo(Reading.Kind.GAUGE);
    assertThat(r.namespace()).isEqualTo("default");
    assertThat(r.value()).isEqualTo(0.004656);
    assertThat(r.device()).isEmpty();
    assertThat(r.node()).isEqualTo("lke529760-766837-0a634ab30000");
    assertThat(r.timestampMillis()).isEqualTo(NOW);
    // Without the engine ratio, GPU_UTIL's percent is the fraction.
    String utilOnly =
        text("dcgm-rtx4000-kubernetes.prom")
            .lines()
            .filter(l -> !l.contains("GR_ENGINE_ACTIVE"))
            .map(l -> l.replace("} 0", "} 42"))
            .reduce("", (a, b) -> a + b + "\n");
    assertThat(select(new ByteArrayInputStream(utilOnly.getBytes(StandardCharsets.UTF_8)), "n"))
        .filteredOn(x -> x.resource() == Resource.GPU)
        .extracting(Reading::value, Reading::node)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(0.42, "n"));
  }

  @Test
  void migInstancesAreDevicesByProfileAndUnattributedOnesAreNobodys() throws Exception {
    // The A800 capture has no Kubernetes mapping: nothing is anybody's.
    assertThat(select(fixture("dcgm-a800-mig.prom"), "a800")).isEmpty();
    // Its MIG rows as the Kubernetes mapping would label them (two pods on instance 3, one on 5).
    String attributed =
        text("dcgm-a800-mig.prom")
            .lines()
            .filter(
                l ->
                    l.startsWith("#")
                        || l.contains("GPU_I_ID=\"3\"")
                        || l.contains("GPU_I_ID=\"5\""))
            .flatMap(
                l ->
                    l.contains("GPU_I_ID=\"3\"")
                        ? java.util.stream.Stream.of(
                            l.replace(
                                "} 0.000000", ",namespace=\"ml\",pod=\"a\",container=\"c\"} 0.6"),
                            l.replace(
                                "} 0.000000", ",namespace=\"ml\",pod=\"b\",container=\"c\"} 0.6"))
                        : java.util.stream.Stream.of(
                            l.replace(
                                "} 0.000000", ",namespace=\"web\",pod=\"w\",container=\"c\"} 1.7")))
            .reduce("", (a, b) -> a + b + "\n");
    List<Reading> readings =
        select(new ByteArrayInputStream(attributed.getBytes(StandardCharsets.UTF_8)), "a800");
    // A shared instance gives each pod its part; a ratio above 1 is clamped.
    assertThat(readings)
        .extracting(r -> r.namespace() + " " + r.device() + " " + r.value())
        .containsExactlyInAnyOrder("ml 2g.20gb 0.3", "ml 2g.20gb 0.3", "web 2g.20gb 1.0");
  }
}
