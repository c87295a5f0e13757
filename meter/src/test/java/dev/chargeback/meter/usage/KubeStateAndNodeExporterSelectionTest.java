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
    // A claim's StorageClass, from kube_persistentvolumeclaim_info.
    assertThat(readings)
        .filteredOn(r -> r.resource() == Resource.STORAGE)
        .extracting(r -> r.namespace() + " " + r.workload() + " " + r.device())
        .containsExactly("scraper PersistentVolumeClaim/e2e-pv-claim e2e-pv-class");
    // kube_pod_info: owner chain and host networking.
    assertThat(pods.get("kube-system", "kindnet-zkpn8"))
        .isEqualTo(new PodDirectory.Pod("DaemonSet/kindnet", true));
    assertThat(pods.get("scraper", "e2e-statefulset-0"))
        .isEqualTo(new PodDirectory.Pod("StatefulSet/e2e-statefulset", false));
    assertThat(pods.workload("kube-system", "coredns-7d764666f9-qdcxt"))
        .isEqualTo("Deployment/coredns");
  }

  @Test
  void kubeStateMetricsGivesGpuRequestsPerDeviceAndTheNodesGpuCapacity() throws Exception {
    // The rows kube-state-metrics 2.x writes for the NVIDIA device plugin's resources (the 2.19
    // capture's cluster had no GPU): nvidia.com/gpu, a MIG slice, a shared (renamed) replica.
    String ksm =
        """
        kube_pod_container_resource_requests{namespace="ml",pod="train-0",uid="u1",container="t",node="gpu-1",resource="nvidia_com_gpu",unit="integer"} 2
        kube_pod_container_resource_requests{namespace="ml",pod="infer-0",uid="u2",container="i",node="gpu-1",resource="nvidia_com_mig_1g_10gb",unit="integer"} 1
        kube_pod_container_resource_requests{namespace="web",pod="ocr-0",uid="u3",container="o",node="gpu-2",resource="nvidia_com_gpu_shared",unit="integer"} 1
        kube_pod_container_resource_requests{namespace="web",pod="ocr-0",uid="u3",container="o",node="gpu-2",resource="cpu",unit="core"} 0.5
        kube_node_status_capacity{node="gpu-1",resource="nvidia_com_gpu",unit="integer"} 2
        kube_node_status_capacity{node="gpu-1",resource="nvidia_com_mig_1g_10gb",unit="integer"} 7
        kube_node_status_capacity{node="gpu-1",resource="cpu",unit="core"} 64
        """;
    Selection s = Selection.forRole(SourceRole.KUBE_STATE_METRICS, "", new PodDirectory());
    new ExpositionParser(ParserLimits.DEFAULT)
        .parse(
            new java.io.ByteArrayInputStream(ksm.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
            Format.TEXT,
            s);
    assertThat(s.finish(1_782_468_880_000L))
        .extracting(
            r ->
                r.resource()
                    + " "
                    + r.namespace()
                    + " "
                    + r.node()
                    + " ["
                    + r.device()
                    + "] "
                    + r.value())
        .containsExactlyInAnyOrder(
            "REQUEST_GPU ml gpu-1 [] 2.0",
            "REQUEST_GPU ml gpu-1 [1g.10gb] 1.0",
            "REQUEST_GPU web gpu-2 [] 1.0",
            "REQUEST_CPU web gpu-2 [] 0.5",
            "CAPACITY_GPU  gpu-1 [] 2.0",
            "CAPACITY_GPU  gpu-1 [1g.10gb] 7.0");
    assertThat(KubeStateSelection.gpuDevice("nvidia_com_mig_3g_40gb")).isEqualTo("3g.40gb");
    assertThat(KubeStateSelection.gpuDevice("nvidia_com_mig_1g_10gb_me")).isEqualTo("1g.10gb+me");
    assertThat(KubeStateSelection.gpuDevice("nvidia_com_mig_1c_2g_20gb")).isEqualTo("1c.2g.20gb");
    assertThat(KubeStateSelection.gpuDevice("amd_com_gpu")).isNull();
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
