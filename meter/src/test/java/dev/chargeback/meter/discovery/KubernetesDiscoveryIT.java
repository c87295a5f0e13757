package dev.chargeback.meter.discovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chargeback.meter.exposition.LabelSelector;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.RollupKey;
import dev.chargeback.meter.rollup.Scope;
import dev.chargeback.meter.scrape.HttpTransport;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.ScrapeException;
import dev.chargeback.meter.scrape.Scraper;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.internal.MockDispatcher;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Discovery against a fake Kubernetes API server (fabric8's mock, with list and watch) serving
 * nodes, pods, namespaces, ReplicaSets and Jobs of the simulated cluster; kubelets are two more
 * HTTPS mock servers answering with the simulator's cAdvisor text, node-exporter a third.
 */
class KubernetesDiscoveryIT {
  private static final String TOKEN = "kubelet-reader-token";
  private static final LabelSelector NODE_EXPORTER =
      LabelSelector.parse("app.kubernetes.io/name=prometheus-node-exporter");

  @TempDir Path dir;

  private final SimCluster sim = new SimCluster();
  private final AtomicLong now = new AtomicLong(1_767_225_600_000L); // 2026-01-01T00:00Z
  private KubernetesMockServer api;
  private final Map<String, KubernetesMockServer> kubelets = new HashMap<>();
  private KubernetesMockServer nodeExporter;
  private KubernetesClient admin;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final Recorder recorder = new Recorder();

  /** What discovery told its listener. */
  static final class Recorder implements KubernetesDiscovery.Listener {
    final AtomicReference<List<Target>> targets = new AtomicReference<>(List.of());
    final AtomicInteger publications = new AtomicInteger();
    final Map<String, Map<String, String>> labels = new ConcurrentHashMap<>();
    final Map<String, Map<String, String>> annotations = new ConcurrentHashMap<>();
    final Map<String, Map<String, String>> nodeLabels = new ConcurrentHashMap<>();
    final AtomicInteger apiErrors = new AtomicInteger();

    @Override
    public void targets(List<Target> t) {
      targets.set(t);
      publications.incrementAndGet();
    }

    @Override
    public void namespaceLabels(String namespace, Map<String, String> l) {
      labels.put(namespace, l);
    }

    @Override
    public void namespaceAnnotations(String namespace, Map<String, String> a) {
      annotations.put(namespace, a);
    }

    @Override
    public void nodeLabels(String node, Map<String, String> l) {
      nodeLabels.put(node, l);
    }

    @Override
    public void apiError(String reason) {
      apiErrors.incrementAndGet();
    }

    Target named(String name) {
      return targets.get().stream().filter(t -> t.name().equals(name)).findFirst().orElse(null);
    }
  }

  @BeforeEach
  void cluster() throws Exception {
    var responses =
        new HashMap<
            io.fabric8.mockwebserver.ServerRequest,
            java.util.Queue<io.fabric8.mockwebserver.ServerResponse>>();
    api =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            true);
    api.init(InetAddress.getLoopbackAddress(), 0);
    admin = api.createClient();
    for (String node : sim.nodes()) {
      KubernetesMockServer kubelet = httpsMock();
      kubelet
          .expect()
          .get()
          .withPath("/metrics/cadvisor")
          .andReply(200, r -> body(sim.cadvisor(node, now.get())))
          .always();
      kubelets.put(node, kubelet);
      api.expect()
          .get()
          .withPath("/api/v1/nodes/" + node + "/proxy/metrics/cadvisor")
          .andReply(200, r -> body(sim.cadvisor(node, now.get())))
          .always();
    }
    nodeExporter = new KubernetesMockServer(false);
    nodeExporter.init(InetAddress.getLoopbackAddress(), 0);
    nodeExporter
        .expect()
        .get()
        .withPath("/metrics")
        .andReply(200, r -> body(sim.nodeExporter(sim.nodes().get(0), now.get())))
        .always();

    admin
        .namespaces()
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName("team-a")
                .addToLabels("team", "payments")
                .addToLabels("cost-center", "CC-1017")
                .addToLabels("unrelated", "x")
                .endMetadata()
                .build())
        .createOr(r -> r.update());
    for (String node : sim.nodes()) {
      admin
          .nodes()
          .resource(node(node, "InternalIP", "127.0.0.1", kubelets.get(node).getPort()))
          .createOr(r -> r.update());
    }
    for (SimCluster.Pod p : sim.pods(now.get())) {
      createPod(p);
    }
    admin
        .pods()
        .inNamespace("monitoring")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName("node-exporter-abcde")
                .withNamespace("monitoring")
                .addToLabels("app.kubernetes.io/name", "prometheus-node-exporter")
                .withCreationTimestamp("2026-01-01T00:00:00Z")
                .endMetadata()
                .withNewSpec()
                .withNodeName(sim.nodes().get(0))
                .withHostNetwork(true)
                .addNewContainer()
                .withName("node-exporter")
                .addNewPort()
                .withName("metrics")
                .withContainerPort(nodeExporter.getPort())
                .endPort()
                .endContainer()
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("127.0.0.1")
                .endStatus()
                .build())
        .createOr(r -> r.update());
  }

  private static String body(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private KubernetesMockServer httpsMock() {
    var responses =
        new HashMap<
            io.fabric8.mockwebserver.ServerRequest,
            java.util.Queue<io.fabric8.mockwebserver.ServerResponse>>();
    KubernetesMockServer m =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), responses, new MockDispatcher(responses), true);
    m.init(InetAddress.getLoopbackAddress(), 0);
    return m;
  }

  private static Node node(String name, String addressType, String address, int kubeletPort) {
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .endMetadata()
        .withNewStatus()
        .addNewAddress()
        .withType(addressType)
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

  private static OwnerReference owner(String apiVersion, String kind, String name) {
    return new OwnerReferenceBuilder()
        .withApiVersion(apiVersion)
        .withKind(kind)
        .withName(name)
        .withUid(name + "-uid")
        .withController(true)
        .build();
  }

  /** A pod with its real owner chain: Deployment → ReplicaSet → pod, CronJob → Job → pod. */
  private void createPod(SimCluster.Pod p) {
    OwnerReference podOwner;
    String parent = p.name().substring(0, p.name().lastIndexOf('-'));
    switch (p.kind()) {
      case "Deployment" -> {
        podOwner = owner("apps/v1", "ReplicaSet", parent);
        admin
            .apps()
            .replicaSets()
            .inNamespace(p.namespace())
            .resource(
                new ReplicaSetBuilder()
                    .withNewMetadata()
                    .withName(parent)
                    .withNamespace(p.namespace())
                    .withOwnerReferences(owner("apps/v1", "Deployment", p.workload()))
                    .endMetadata()
                    .build())
            .createOr(r -> r.update());
      }
      case "CronJob" -> {
        podOwner = owner("batch/v1", "Job", parent);
        admin
            .batch()
            .v1()
            .jobs()
            .inNamespace(p.namespace())
            .resource(
                new JobBuilder()
                    .withNewMetadata()
                    .withName(parent)
                    .withNamespace(p.namespace())
                    .withOwnerReferences(owner("batch/v1", "CronJob", p.workload()))
                    .endMetadata()
                    .build())
            .createOr(r -> r.update());
      }
      default -> podOwner = owner("apps/v1", p.kind(), p.workload());
    }
    admin
        .pods()
        .inNamespace(p.namespace())
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(p.name())
                .withNamespace(p.namespace())
                .withOwnerReferences(podOwner)
                .endMetadata()
                .withNewSpec()
                .withNodeName(p.node())
                .withHostNetwork(p.hostNetwork())
                .endSpec()
                .withNewStatus()
                .withPhase("Running")
                .withPodIP("10.244.0.9")
                .endStatus()
                .build())
        .createOr(r -> r.update());
  }

  private KubernetesDiscovery discovery(
      KubernetesClient client, boolean viaProxy, PodDirectory pods, URI ksm) {
    KubernetesDiscovery d =
        new KubernetesDiscovery(
            client,
            new KubernetesDiscovery.Settings(
                viaProxy,
                NODE_EXPORTER,
                9100,
                ksm,
                List.of("team", "cost-center"),
                Duration.ofMillis(300)),
            pods,
            recorder);
    closing.add(d);
    d.start();
    return d;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(50);
    }
  }

  private Scraper kubeletScraper(boolean insecure, Path ca) throws IOException {
    Path token = dir.resolve("token");
    Files.writeString(token, TOKEN + "\n");
    Scraper s =
        new Scraper(
            Duration.ofSeconds(5),
            Map.of(
                Target.Access.KUBELET,
                new HttpTransport(
                    Duration.ofSeconds(5),
                    KubeletCredentials.tls(insecure, ca),
                    KubeletCredentials.token(token, () -> null)),
                Target.Access.API_SERVER,
                new ApiServerTransport(admin)));
    closing.add(s);
    return s;
  }

  private RollupStore store() {
    RollupStore store =
        new RollupStore(
            RocksKeyValueStore.openPrimary(dir.resolve("data"), false),
            new BillingCalendar(ZoneOffset.UTC));
    closing.add(store);
    return store;
  }

  @Test
  void findsKubeletsNodeExportersAndKubeStateMetrics() throws Exception {
    URI ksm = URI.create("http://kube-state-metrics.kube-system.svc:8080/metrics");
    discovery(admin, false, new PodDirectory(), ksm);
    await("5 targets", () -> recorder.targets.get().size() == 4);

    Target node1 = recorder.named("cadvisor:node/sim-node-1");
    assertThat(node1.url())
        .isEqualTo(
            URI.create(
                "https://127.0.0.1:" + kubelets.get("sim-node-1").getPort() + "/metrics/cadvisor"));
    assertThat(node1.access()).isEqualTo(Target.Access.KUBELET);
    assertThat(node1.role()).isEqualTo(SourceRole.CADVISOR);
    assertThat(node1.node()).isEqualTo("sim-node-1");
    Target exporter = recorder.named("node-exporter:node/sim-node-1");
    assertThat(exporter.url())
        .isEqualTo(URI.create("http://127.0.0.1:" + nodeExporter.getPort() + "/metrics"));
    assertThat(exporter.access()).isEqualTo(Target.Access.PLAIN);
    assertThat(recorder.named("kube-state-metrics:" + ksm).role())
        .isEqualTo(SourceRole.KUBE_STATE_METRICS);
    // Labels come with the namespaces' informer, which may sync after the nodes'.
    await("namespace labels", () -> recorder.labels.get("team-a") != null);
    assertThat(recorder.labels.get("team-a"))
        .containsExactlyInAnyOrderEntriesOf(Map.of("team", "payments", "cost-center", "CC-1017"));
  }

  @Test
  void metersDiscoveredKubeletsWithTheServiceAccountTokenAndApiOwners() throws Exception {
    PodDirectory pods = new PodDirectory();
    discovery(admin, false, pods, null);
    await("kubelets", () -> recorder.targets.get().size() == 3);
    await(
        "pod owners",
        () -> "DaemonSet/kube-proxy".equals(pods.workload("kube-system", "kube-proxy-v8r2k")));
    // Without the API, a DaemonSet's pod name only says "Workload/kube-proxy".
    assertThat(dev.chargeback.meter.usage.Workloads.fromPodName("kube-proxy-v8r2k"))
        .isEqualTo("Workload/kube-proxy");
    assertThat(pods.get("kube-system", "kube-proxy-v8r2k").hostNetwork()).isTrue();

    RollupStore store = store();
    Meter meter = new Meter(store, ParserLimits.DEFAULT, pods, Duration.ofMinutes(5));
    Scraper scraper = kubeletScraper(true, null);
    for (int i = 0; i < 3; i++) {
      for (Target t : recorder.targets.get()) {
        assertThat(scraper.scrape(t, meter, now.get())).isPositive();
      }
      now.addAndGet(30_000);
    }
    var request = kubelets.get("sim-node-1").getLastRequest();
    assertThat(request.getHeader("Authorization")).isEqualTo("Bearer " + TOKEN);
    assertThat(request.getHeader("Accept")).contains("application/openmetrics-text");

    Map<RollupKey, ?> workloads = store.totals(Scope.WORKLOAD);
    assertThat(workloads)
        .containsKey(
            new RollupKey(Scope.WORKLOAD, "kube-system", "DaemonSet/kube-proxy", Resource.CPU));
    assertThat(workloads.keySet())
        .noneMatch(k -> k.workload().startsWith("Workload/") || k.workload().startsWith("Pod/"));
    // What the simulator used in that minute, through discovery, TLS and the token (each
    // container's increment kept to a thousandth of a core-second).
    double cpu =
        store
            .totals(Scope.NAMESPACE)
            .get(new RollupKey(Scope.NAMESPACE, "default", "", Resource.CPU))
            .sum();
    assertThat(cpu)
        .isCloseTo(
            sim.expected("default", Resource.CPU, now.get() - 90_000, now.get() - 30_000),
            org.assertj.core.api.Assertions.within(0.01));
  }

  @Test
  void scrapesThroughTheApiServerProxyWhenAsked() throws Exception {
    discovery(admin, true, new PodDirectory(), null);
    await("proxied kubelets", () -> recorder.named("cadvisor:node/sim-node-2") != null);
    Target node2 = recorder.named("cadvisor:node/sim-node-2");
    assertThat(node2.access()).isEqualTo(Target.Access.API_SERVER);
    assertThat(node2.url().toString())
        .isEqualTo(api.url("/api/v1/nodes/sim-node-2/proxy/metrics/cadvisor"));
    RollupStore store = store();
    Meter meter = new Meter(store, ParserLimits.DEFAULT, new PodDirectory(), Duration.ofMinutes(5));
    assertThat(kubeletScraper(false, null).scrape(node2, meter, now.get())).isPositive();
    // the API client's own credentials went with it
    assertThat(api.getLastRequest().getHeader("Authorization")).isEqualTo("Bearer secret");
  }

  @Test
  void kubeletCertificatesAreCheckedUnlessToldOtherwise() throws Exception {
    Path ca = Path.of(kubelets.get("sim-node-1").getSelfSignedCertificate().certificatePath());
    // The mock's certificate names localhost: a node addressed by host name, verified by the CA.
    admin.nodes().withName("sim-node-1").delete();
    admin
        .nodes()
        .resource(node("sim-node-1", "Hostname", "localhost", kubelets.get("sim-node-1").getPort()))
        .createOr(r -> r.update());
    discovery(admin, false, new PodDirectory(), null);
    await(
        "node by host name",
        () ->
            recorder.named("cadvisor:node/sim-node-1") != null
                && recorder.named("cadvisor:node/sim-node-1").url().getHost().equals("localhost"));
    Target node1 = recorder.named("cadvisor:node/sim-node-1");
    Meter meter =
        new Meter(store(), ParserLimits.DEFAULT, new PodDirectory(), Duration.ofMinutes(5));

    assertThat(kubeletScraper(false, ca).scrape(node1, meter, now.get())).isPositive();
    assertThatThrownBy(
            () -> kubeletScraper(false, dir.resolve("no-such-ca")).scrape(node1, meter, now.get()))
        .isInstanceOf(ScrapeException.class)
        .hasMessageContaining("cannot reach https://localhost:");
  }

  @Test
  void followsNodesAndPodsThatComeAndGo() throws Exception {
    PodDirectory pods = new PodDirectory();
    discovery(admin, false, pods, null);
    await("start", () -> recorder.targets.get().size() == 3);

    KubernetesMockServer third = httpsMock();
    closing.add(third::destroy);
    admin
        .nodes()
        .resource(node("sim-node-3", "InternalIP", "127.0.0.1", third.getPort()))
        .createOr(r -> r.update());
    await("a new node", () -> recorder.named("cadvisor:node/sim-node-3") != null);

    admin.nodes().withName("sim-node-2").delete();
    await("a deleted node", () -> recorder.named("cadvisor:node/sim-node-2") == null);

    // A node moved into another pool: its labels reach the meter (node classes price by them).
    await("a node's labels", () -> recorder.nodeLabels.containsKey("sim-node-3"));
    admin
        .nodes()
        .withName("sim-node-3")
        .edit(
            n ->
                new NodeBuilder(n)
                    .editMetadata()
                    .addToLabels("karpenter.sh/capacity-type", "spot")
                    .endMetadata()
                    .build());
    await(
        "a relabelled node",
        () ->
            "spot".equals(recorder.nodeLabels.get("sim-node-3").get("karpenter.sh/capacity-type")));

    createPod(
        new SimCluster.Pod(
            "team-a", "api-6b7d9c5f8-k2x9z", "sim-node-3", "Deployment", "api", false));
    await(
        "a new pod's owner",
        () -> "Deployment/api".equals(pods.workload("team-a", "api-6b7d9c5f8-k2x9z")));

    admin
        .namespaces()
        .withName("team-a")
        .edit(
            n ->
                new NamespaceBuilder(n)
                    .editMetadata()
                    .addToLabels("team", "checkout")
                    .addToAnnotations("chargeback.dev/budget", "500000")
                    .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{}")
                    .endMetadata()
                    .build());
    await(
        "a relabelled namespace",
        () -> "checkout".equals(recorder.labels.get("team-a").get("team")));
    // Its chargeback.dev/ annotations (a budget) reach the meter; others do not.
    await(
        "an annotated namespace",
        () -> Map.of("chargeback.dev/budget", "500000").equals(recorder.annotations.get("team-a")));
  }

  @Test
  void anApiOutageKeepsTheLastTargetsAndIsCounted() throws Exception {
    TcpRelay relay = new TcpRelay(api.getPort());
    closing.add(relay);
    Config viaRelay =
        new ConfigBuilder(admin.getConfiguration())
            .withMasterUrl("https://127.0.0.1:" + relay.port() + "/")
            .withRequestTimeout(2000)
            .withConnectionTimeout(1000)
            // Reconnect quickly after the outage (the default backs off up to about 30 s).
            .withWatchReconnectInterval(100)
            .withRequestRetryBackoffInterval(100)
            .withRequestRetryBackoffLimit(3)
            .build();
    KubernetesClient client = new KubernetesClientBuilder().withConfig(viaRelay).build();
    closing.add(client);
    discovery(client, false, new PodDirectory(), null);
    await("start", () -> recorder.targets.get().size() == 3);
    List<Target> before = recorder.targets.get();

    relay.cut();
    await("API errors counted", () -> recorder.apiErrors.get() >= 2);
    assertThat(recorder.targets.get()).isEqualTo(before);

    // Idempotent: under load the admin client may retry a POST the fake server already applied.
    admin
        .nodes()
        .resource(node("sim-node-4", "InternalIP", "127.0.0.1", 10250))
        .createOr(r -> r.update());
    relay.restore();
    await(
        "the node added during the outage",
        () -> recorder.named("cadvisor:node/sim-node-4") != null);
    assertThat(recorder.targets.get()).containsAll(before);
  }

  @Test
  void outOfClusterFromAKubeconfigFile() throws Exception {
    Path kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters:
        - name: mock
          cluster:
            server: %s
            insecure-skip-tls-verify: true
        users:
        - name: reader
          user:
            token: from-kubeconfig
        contexts:
        - name: mock
          context: {cluster: mock, user: reader}
        current-context: mock
        """
            .formatted(api.url("/")));
    assertThat(KubernetesConnection.wanted("auto", "", Map.of("KUBECONFIG", kubeconfig.toString())))
        .isTrue();
    assertThat(KubernetesConnection.wanted("off", kubeconfig.toString(), Map.of())).isFalse();
    assertThat(
            KubernetesConnection.wanted("auto", "", Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1")))
        .isTrue();
    try (KubernetesClient client = KubernetesConnection.open(kubeconfig.toString())) {
      assertThat(client.nodes().list().getItems()).hasSize(2);
      assertThat(KubernetesConnection.token(client).get()).isEqualTo("from-kubeconfig");
      assertThat(api.getLastRequest().getHeader("Authorization"))
          .isEqualTo("Bearer from-kubeconfig");
    }
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
    admin.close();
    destroy(api);
    kubelets.values().forEach(KubernetesDiscoveryIT::destroy);
    destroy(nodeExporter);
  }

  /**
   * Stops a mock server. On a loaded machine one can take longer than its own 10 s limit to let go
   * of a watch connection that is already closed on our side; that says nothing about discovery.
   */
  private static void destroy(KubernetesMockServer server) {
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      System.err.println("mock server slow to stop: " + e.getMessage());
    }
  }
}
