package dev.chargeback.meter.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.exposition.ExpositionParser;
import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.rollup.Resource;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** kube-state-metrics 2.19 and node-exporter captures; expectations counted with grep/awk. */
class KubeStateAndNodeExporterSelectionTest {
  private static List<Reading> select(String fixture, SourceRole role, PodDirectory pods)
      throws Exception {
    Selection s = Selection.forRole(role, "", pods);
    try (InputStream in =
        KubeStateAndNodeExporterSelectionTest.class.getResourceAsStream("/fixtures/" + fixture)) {
      new ExpositionParser(ParserLimits.DEFAULT).parse(in, Format.TEXT, s);
    }
    return s.finish(1_782_468_880_000L);
  }

  @Test
  void kubeStateMetricsGivesRequestsAndPodMetadata() throws Exception {
    PodDirectory pods = new PodDirectory();
    List<Reading> readings =
        select("kube-state-metrics-2.19.prom", SourceRole.KUBE_STATE_METRICS, pods);
    // grep '^kube_pod_container_resource_requests' | grep 'resource="cpu"' |
    //   grep 'namespace="kube-system"' | awk '{s+=$NF} END {print s}' → 0.95 cores
    Map<String, Double> cpu =
        readings.stream()
            .filter(r -> r.resource() == Resource.REQUEST_CPU)
            .collect(
                Collectors.groupingBy(
                    Reading::namespace, Collectors.summingDouble(Reading::value)));
    assertThat(cpu).containsKey("kube-system");
    assertThat(cpu.get("kube-system"))
        .isEqualTo(0.95, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(readings).allMatch(r -> r.kind() == Reading.Kind.GAUGE);
    assertThat(readings)
        .extracting(Reading::resource)
        .containsOnly(Resource.REQUEST_CPU, Resource.REQUEST_MEMORY, Resource.STORAGE);
    // kube_pod_info: owner chain and host networking.
    assertThat(pods.get("kube-system", "kindnet-zkpn8"))
        .isEqualTo(new PodDirectory.Pod("DaemonSet/kindnet", true));
    assertThat(pods.get("scraper", "e2e-statefulset-0"))
        .isEqualTo(new PodDirectory.Pod("StatefulSet/e2e-statefulset", false));
    assertThat(pods.workload("kube-system", "coredns-7d764666f9-qdcxt"))
        .isEqualTo("Deployment/coredns");
  }

  @Test
  void nodeExporterGivesCoresAndMemoryCapacity() throws Exception {
    List<Reading> readings =
        select("node-exporter-e2e.prom", SourceRole.NODE_EXPORTER, new PodDirectory());
    // grep '^node_cpu_seconds_total' | grep -o 'cpu="[0-9]*"' | sort -u | wc -l → 8
    // grep '^node_memory_MemTotal_bytes' → 3.831959552e+09
    assertThat(readings)
        .extracting(Reading::resource)
        .containsExactly(Resource.CAPACITY_CPU, Resource.CAPACITY_MEMORY);
    assertThat(readings.get(0).value()).isEqualTo(8);
    assertThat(readings.get(1).value()).isEqualTo(3.831959552e9);
    assertThat(readings).allMatch(r -> r.namespace().isEmpty());
  }
}
