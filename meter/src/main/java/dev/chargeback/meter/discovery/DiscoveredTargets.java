package dev.chargeback.meter.discovery;

import dev.chargeback.meter.discovery.KubernetesDiscovery.Settings;
import dev.chargeback.meter.exposition.LabelSelector;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.usage.SourceRole;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.net.URL;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What the meter scrapes, derived from the nodes and pods the API server lists. */
final class DiscoveredTargets {
  private DiscoveredTargets() {}

  /**
   * One cAdvisor target per node, one node-exporter and one dcgm-exporter per node that runs a
   * matching pod (the newest of two), and kube-state-metrics when configured; sorted by name. An
   * empty selector matches no pod.
   */
  static List<Target> of(List<Node> nodes, List<Pod> pods, Settings settings, URL masterUrl) {
    Map<String, Target> out = new TreeMap<>();
    for (Node node : nodes) {
      Target t = kubelet(node, settings, masterUrl);
      if (t != null) {
        out.put(t.name(), t);
      }
    }
    perNode(
        out, pods, SourceRole.NODE_EXPORTER, settings.nodeExporter(), settings.nodeExporterPort());
    perNode(out, pods, SourceRole.DCGM, settings.dcgm(), settings.dcgmPort());
    if (settings.kubeStateMetrics() != null) {
      Target ksm = Target.of(SourceRole.KUBE_STATE_METRICS, settings.kubeStateMetrics(), "");
      out.put(ksm.name(), ksm);
    }
    return List.copyOf(out.values());
  }

  /** The node's cAdvisor endpoint; named by node, so an address change keeps its state. */
  static Target kubelet(Node node, Settings settings, URL masterUrl) {
    String name = node.getMetadata().getName();
    URI url;
    Target.Access access;
    if (settings.viaApiServerProxy()) {
      url = URI.create(masterUrl + "api/v1/nodes/" + name + "/proxy/metrics/cadvisor");
      access = Target.Access.API_SERVER;
    } else {
      String address = address(node);
      if (address == null) {
        return null;
      }
      int port = 10250;
      var status = node.getStatus();
      if (status != null
          && status.getDaemonEndpoints() != null
          && status.getDaemonEndpoints().getKubeletEndpoint() != null
          && status.getDaemonEndpoints().getKubeletEndpoint().getPort() != null
          && status.getDaemonEndpoints().getKubeletEndpoint().getPort() > 0) {
        port = status.getDaemonEndpoints().getKubeletEndpoint().getPort();
      }
      url = URI.create("https://" + host(address) + ":" + port + "/metrics/cadvisor");
      access = Target.Access.KUBELET;
    }
    return new Target(
        SourceRole.CADVISOR.flag + ":node/" + name, SourceRole.CADVISOR, url, name, access);
  }

  /** The exporters of {@code role} that run one per node, found by {@code selector}. */
  private static void perNode(
      Map<String, Target> out, List<Pod> pods, SourceRole role, LabelSelector selector, int port) {
    if (selector.terms().isEmpty()) {
      return;
    }
    List<Pod> exporters = new ArrayList<>();
    for (Pod pod : pods) {
      if (selector.matches(pod.getMetadata().getLabels()) && running(pod)) {
        exporters.add(pod);
      }
    }
    // Two exporters on a node (a rolling update): the newest wins.
    exporters.sort(Comparator.comparing(p -> p.getMetadata().getCreationTimestamp()));
    for (Pod pod : exporters) {
      Target t = perNodeTarget(pod, role, port);
      out.put(t.name(), t);
    }
  }

  private static Target perNodeTarget(Pod pod, SourceRole role, int defaultPort) {
    String node = pod.getSpec().getNodeName();
    int port = defaultPort;
    for (var c : pod.getSpec().getContainers()) {
      for (ContainerPort p : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
        if ("metrics".equals(p.getName()) && p.getContainerPort() != null) {
          port = p.getContainerPort();
        }
      }
    }
    URI url = URI.create("http://" + host(pod.getStatus().getPodIP()) + ":" + port + "/metrics");
    String name = role.flag + ":node/" + (node == null ? "" : node);
    return new Target(name, role, url, node == null ? "" : node, Target.Access.PLAIN);
  }

  private static boolean running(Pod pod) {
    return pod.getStatus() != null
        && "Running".equals(pod.getStatus().getPhase())
        && pod.getStatus().getPodIP() != null
        && !pod.getStatus().getPodIP().isEmpty()
        && pod.getMetadata().getDeletionTimestamp() == null;
  }

  private static String address(Node node) {
    if (node.getStatus() == null || node.getStatus().getAddresses() == null) {
      return null;
    }
    for (String type : List.of("InternalIP", "ExternalIP", "Hostname")) {
      for (NodeAddress a : node.getStatus().getAddresses()) {
        if (type.equals(a.getType()) && a.getAddress() != null && !a.getAddress().isEmpty()) {
          return a.getAddress();
        }
      }
    }
    return null;
  }

  private static String host(String address) {
    return address.indexOf(':') >= 0 ? "[" + address + "]" : address;
  }
}
