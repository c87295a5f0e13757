package dev.chargeback.meter.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.exposition.LabelSelector;
import dev.chargeback.meter.scrape.Target;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Targets and owners derived from API objects, without an API server. */
class DiscoveredTargetsTest {
  private static final KubernetesDiscovery.Settings DIRECT =
      new KubernetesDiscovery.Settings(
          false,
          LabelSelector.parse("app.kubernetes.io/name=node-exporter"),
          9100,
          URI.create("http://ksm.monitoring:8080/metrics"),
          List.of(),
          Duration.ofSeconds(30));

  private static Node node(String name, String type, String address, Integer kubeletPort) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewStatus()
        .addNewAddress()
        .withType(type)
        .withAddress(address)
        .endAddress()
        .withNewDaemonEndpoints()
        .withNewKubeletEndpoint()
        .withPort(kubeletPort)
        .endKubeletEndpoint()
        .endDaemonEndpoints()
        .endStatus()
        .build();
  }

  private static Pod exporter(String name, String node, String ip, String created) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("monitoring")
        .withLabels(Map.of("app.kubernetes.io/name", "node-exporter"))
        .withCreationTimestamp(created)
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("node-exporter")
        .addNewPort()
        .withName("metrics")
        .withContainerPort(9101)
        .endPort()
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .endStatus()
        .build();
  }

  @Test
  void nodesExportersAndKubeStateMetricsBecomeTargets() throws Exception {
    List<Target> targets =
        DiscoveredTargets.of(
            List.of(
                node("n1", "InternalIP", "10.0.0.1", 10250),
                node("n2", "InternalIP", "fd00::2", 10255),
                node("n3", "Hostname", "", null)),
            List.of(
                exporter("ne-old", "n1", "10.1.0.1", "2026-11-01T00:00:00Z"),
                exporter("ne-new", "n1", "10.1.0.9", "2026-11-02T00:00:00Z")),
            DIRECT,
            URI.create("https://api.example:6443/").toURL());
    assertThat(targets)
        .extracting(t -> t.name() + " " + t.url())
        .containsExactly(
            "cadvisor:node/n1 https://10.0.0.1:10250/metrics/cadvisor",
            "cadvisor:node/n2 https://[fd00::2]:10255/metrics/cadvisor",
            "kube-state-metrics:http://ksm.monitoring:8080/metrics"
                + " http://ksm.monitoring:8080/metrics",
            // Two exporters on n1 during a rolling update: the newest wins, on its metrics port.
            "node-exporter:node/n1 http://10.1.0.9:9101/metrics");
  }

  @Test
  void dcgmExportersAreFoundPerNodeAndAnEmptySelectorFindsNone() throws Exception {
    Pod dcgm =
        new PodBuilder(exporter("dcgm-x", "n1", "10.1.0.7", "2026-11-01T00:00:00Z"))
            .editMetadata()
            .withLabels(Map.of("app.kubernetes.io/name", "dcgm-exporter"))
            .endMetadata()
            .build();
    Pod other =
        new PodBuilder(exporter("web", "n1", "10.1.0.8", "2026-11-01T00:00:00Z"))
            .editMetadata()
            .withLabels(Map.of("app", "web"))
            .endMetadata()
            .build();
    KubernetesDiscovery.Settings withDcgm =
        new KubernetesDiscovery.Settings(
            false,
            LabelSelector.parse(""),
            9100,
            null,
            List.of(),
            Duration.ofSeconds(30),
            LabelSelector.parse("app.kubernetes.io/name=dcgm-exporter"),
            9400);
    List<Target> targets =
        DiscoveredTargets.of(
            List.of(node("n1", "InternalIP", "10.0.0.1", 10250)),
            List.of(dcgm, other),
            withDcgm,
            URI.create("https://api.example:6443/").toURL());
    // An empty node-exporter selector looks for none (it matched every pod before).
    assertThat(targets)
        .extracting(t -> t.name() + " " + t.role() + " " + t.url() + " " + t.node())
        .containsExactly(
            "cadvisor:node/n1 CADVISOR https://10.0.0.1:10250/metrics/cadvisor n1",
            "dcgm:node/n1 DCGM http://10.1.0.7:9101/metrics n1");
  }

  @Test
  void throughTheApiServerProxyEveryNodeIsATarget() throws Exception {
    KubernetesDiscovery.Settings proxy =
        new KubernetesDiscovery.Settings(
            true, DIRECT.nodeExporter(), 9100, null, List.of(), Duration.ofSeconds(30));
    Target t =
        DiscoveredTargets.kubelet(
            node("n3", "Hostname", "", null),
            proxy,
            URI.create("https://api.example:6443/").toURL());
    assertThat(t.url())
        .hasToString("https://api.example:6443/api/v1/nodes/n3/proxy/metrics/cadvisor");
    assertThat(t.access()).isEqualTo(Target.Access.API_SERVER);
  }

  @Test
  void aPodsWorkloadFollowsItsControllerChain() {
    ReplicaSet rs =
        new ReplicaSetBuilder()
            .withNewMetadata()
            .withName("api-6b7d9c5f8")
            .withNamespace("team-a")
            .withOwnerReferences(controller("Deployment", "api"))
            .endMetadata()
            .build();
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName("api-6b7d9c5f8-k2x9z")
            .withNamespace("team-a")
            .withOwnerReferences(controller("ReplicaSet", "api-6b7d9c5f8"))
            .endMetadata()
            .build();
    assertThat(
            OwnerChain.workload(pod, k -> k.equals("team-a/api-6b7d9c5f8") ? rs : null, k -> null))
        .isEqualTo("Deployment/api");
    // Without the ReplicaSet in the cache, the name says it.
    assertThat(OwnerChain.workload(pod, k -> null, k -> null)).isEqualTo("Deployment/api");
    Pod bare = new PodBuilder().withNewMetadata().withName("debug").endMetadata().build();
    assertThat(OwnerChain.workload(bare, k -> null, k -> null)).isEqualTo("Pod/debug");
  }

  private static OwnerReference controller(String kind, String name) {
    return new OwnerReferenceBuilder().withKind(kind).withName(name).withController(true).build();
  }
}
