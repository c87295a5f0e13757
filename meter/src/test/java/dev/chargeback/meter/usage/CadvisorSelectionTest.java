package dev.chargeback.meter.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chargeback.meter.exposition.ExpositionParser;
import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.rollup.Resource;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The selection rules on a real kubelet 1.35 capture. Expected numbers were counted by hand from
 * the file (grep/awk over the rows, see the comments), not by this code.
 */
class CadvisorSelectionTest {
  static List<Reading> select(byte[] body, PodDirectory pods) throws Exception {
    Selection selection = Selection.forRole(SourceRole.CADVISOR, "node-1", pods);
    new ExpositionParser(ParserLimits.DEFAULT).parse(body, Format.TEXT, selection);
    return selection.finish(1_782_468_880_000L);
  }

  static byte[] capture() throws Exception {
    try (InputStream in =
        CadvisorSelectionTest.class.getResourceAsStream(
            "/fixtures/kubelet-1.35-containerd-cadvisor.prom")) {
      return in.readAllBytes();
    }
  }

  private static Map<String, Double> sums(List<Reading> readings, Resource resource) {
    return readings.stream()
        .filter(r -> r.resource() == resource)
        .collect(
            Collectors.groupingBy(Reading::namespace, Collectors.summingDouble(Reading::value)));
  }

  private static Map<String, Long> counts(List<Reading> readings, Resource resource) {
    return readings.stream()
        .filter(r -> r.resource() == resource)
        .collect(Collectors.groupingBy(Reading::namespace, Collectors.counting()));
  }

  @Test
  void billsOnlyApplicationContainersForCpuAndMemory() throws Exception {
    List<Reading> readings = select(capture(), new PodDirectory());
    // 9 kube-system and 8 scraper rows have a container name; node, pod-cgroup and sandbox
    // rows (container="") are not billed.
    assertThat(counts(readings, Resource.CPU))
        .containsExactlyInAnyOrderEntriesOf(Map.of("kube-system", 9L, "scraper", 8L));
    assertThat(counts(readings, Resource.MEMORY))
        .containsExactlyInAnyOrderEntriesOf(Map.of("kube-system", 9L, "scraper", 8L));
    Map<String, Double> cpu = sums(readings, Resource.CPU);
    assertThat(cpu.get("kube-system")).isCloseTo(13.445171, within(1e-9));
    assertThat(cpu.get("scraper")).isCloseTo(12.987805, within(1e-9));
    assertThat(readings).noneMatch(r -> r.namespace().isEmpty());
  }

  @Test
  void billsPodNetworkFromSandboxRowsAndSkipsHostNetworkPods() throws Exception {
    List<Reading> readings = select(capture(), new PodDirectory());
    // Non-host pods' eth0: kube-system coredns 49637 + metrics-server 241070; scraper: seven
    // pods at 446 + kube-state-metrics 545122. The eight host-network pods (their eth0 equals
    // the root cgroup's to 0.001%) are exactly those kube-state-metrics marks host_network.
    Map<String, Double> rx = sums(readings, Resource.NETWORK_RECEIVE);
    assertThat(rx.get("kube-system")).isEqualTo(290707.0);
    assertThat(rx.get("scraper")).isEqualTo(548244.0);
    Map<String, Double> tx = sums(readings, Resource.NETWORK_TRANSMIT);
    assertThat(tx.get("kube-system")).isEqualTo(196311.0);
    assertThat(tx.get("scraper")).isEqualTo(50081.0);
    assertThat(readings)
        .filteredOn(r -> r.resource() == Resource.NETWORK_RECEIVE)
        .noneMatch(r -> r.workload().contains("kube-proxy") || r.workload().contains("etcd"));
  }

  @Test
  void podMetadataOverridesTheCounterHeuristic() throws Exception {
    PodDirectory pods = new PodDirectory();
    pods.put(
        "kube-system",
        "coredns-7d764666f9-qdcxt",
        new PodDirectory.Pod("Deployment/coredns", true));
    pods.put(
        "scraper", "e2e-scraper-5f97dc94d8-vkcjl", new PodDirectory.Pod("Deployment/x", false));
    Map<String, Double> rx = sums(select(capture(), pods), Resource.NETWORK_RECEIVE);
    assertThat(rx.get("kube-system")).isEqualTo(241070.0);
    assertThat(rx.get("scraper")).isEqualTo(548244.0 + 7.7292043e8);
  }

  @Test
  void derivesWorkloadsAndStartTimes() throws Exception {
    List<Reading> readings = select(capture(), new PodDirectory());
    Reading coredns =
        readings.stream()
            .filter(r -> r.resource() == Resource.CPU && r.workload().contains("coredns"))
            .findFirst()
            .orElseThrow();
    assertThat(coredns.workload()).isEqualTo("Deployment/coredns");
    assertThat(coredns.startSeconds()).isGreaterThan(1.78e9);
    assertThat(coredns.timestampMillis()).isGreaterThan(1_782_468_800_000L);
    assertThat(coredns.node()).isEqualTo("node-1");
  }

  @Test
  void totalCpuRowWinsOverPerCpuRowsAndOldLabelNamesWork() throws Exception {
    String body =
        """
        container_cpu_usage_seconds_total{container_name="app",pod_name="p",namespace="n",cpu="cpu00",id="/a"} 1
        container_cpu_usage_seconds_total{container_name="app",pod_name="p",namespace="n",cpu="cpu01",id="/a"} 2
        container_cpu_usage_seconds_total{container_name="app",pod_name="q",namespace="n",cpu="cpu00",id="/b"} 4
        container_cpu_usage_seconds_total{container_name="app",pod_name="q",namespace="n",cpu="cpu01",id="/b"} 8
        container_cpu_usage_seconds_total{container_name="app",pod_name="q",namespace="n",cpu="total",id="/b"} 12.5
        container_cpu_usage_seconds_total{container_name="POD",pod_name="q",namespace="n",cpu="total",id="/c"} 100
        container_network_receive_bytes_total{container_name="POD",pod_name="q",namespace="n",interface="eth0",id="/c"} 7
        container_network_receive_bytes_total{container_name="POD",pod_name="q",namespace="n",interface="eth1",id="/c"} 3
        """;
    List<Reading> readings = select(body.getBytes(StandardCharsets.UTF_8), new PodDirectory());
    assertThat(sums(readings, Resource.CPU).get("n")).isEqualTo(1 + 2 + 12.5);
    assertThat(sums(readings, Resource.NETWORK_RECEIVE).get("n")).isEqualTo(10.0);
    assertThat(readings).allMatch(r -> r.timestampMillis() == 1_782_468_880_000L);
  }

  @Test
  void podCgroupNetworkRowsYieldToSandboxRows() throws Exception {
    String body =
        """
        container_network_receive_bytes_total{container="",image="",name="",pod="p",namespace="n",interface="eth0",id="/pod1"} 50
        container_network_receive_bytes_total{container="",image="pause",name="abc",pod="p",namespace="n",interface="eth0",id="/pod1/abc"} 50
        container_network_receive_bytes_total{container="",image="",name="",pod="r",namespace="n",interface="eth0",id="/pod2"} 5
        """;
    List<Reading> readings = select(body.getBytes(StandardCharsets.UTF_8), new PodDirectory());
    assertThat(sums(readings, Resource.NETWORK_RECEIVE).get("n")).isEqualTo(55.0);
  }
}
