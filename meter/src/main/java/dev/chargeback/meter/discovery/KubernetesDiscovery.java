package dev.chargeback.meter.discovery;

import dev.chargeback.meter.exposition.LabelSelector;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.usage.PodDirectory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.URI;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches nodes, pods, namespaces, ReplicaSets and Jobs, and derives from them what the meter
 * scrapes (one cAdvisor target per node, one node-exporter target per node that runs one,
 * kube-state-metrics), who owns each pod and which namespace labels to keep. Changes are batched
 * (half a second) and published to a {@link Listener}. While the API server is unreachable the
 * informers keep their last state, so metering goes on with the last known targets; every failed
 * call is reported.
 */
public final class KubernetesDiscovery implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KubernetesDiscovery.class);
  private static final long BATCH_MILLIS = 500;

  /** A deleted pod's rows can still be in the kubelet's next scrape: its facts are kept a while. */
  private static final long FORGET_AFTER_MILLIS = 3_600_000;

  /** Where discovery's results go. */
  public interface Listener {
    /** The complete set of discovered targets, whenever it changes. */
    void targets(List<Target> targets);

    /** The chosen labels of a namespace, on first sight and whenever they change. */
    void namespaceLabels(String namespace, Map<String, String> labels);

    /**
     * A namespace's {@code chargeback.dev/} annotations (a budget, bill recipients), on first sight
     * and whenever they change.
     */
    default void namespaceAnnotations(String namespace, Map<String, String> annotations) {}

    /** A node's labels, on first sight and whenever they change (for node classes). */
    default void nodeLabels(String node, Map<String, String> labels) {}

    /** A failed call to the API server. */
    void apiError(String reason);
  }

  /**
   * What to look for.
   *
   * @param viaApiServerProxy scrape kubelets through {@code /api/v1/nodes/NODE/proxy}
   * @param nodeExporter which pods are node-exporters
   * @param nodeExporterPort their port when no container port is named {@code metrics}
   * @param kubeStateMetrics kube-state-metrics' URL, null for none
   * @param namespaceLabels namespace label keys kept with the usage and printed on bills
   * @param probeInterval how often the API server's health is checked
   * @param dcgm which pods are NVIDIA dcgm-exporters (an empty selector: none)
   * @param dcgmPort their port when no container port is named {@code metrics}
   */
  public record Settings(
      boolean viaApiServerProxy,
      LabelSelector nodeExporter,
      int nodeExporterPort,
      URI kubeStateMetrics,
      List<String> namespaceLabels,
      Duration probeInterval,
      LabelSelector dcgm,
      int dcgmPort) {

    /** Settings that look for no dcgm-exporter. */
    public Settings(
        boolean viaApiServerProxy,
        LabelSelector nodeExporter,
        int nodeExporterPort,
        URI kubeStateMetrics,
        List<String> namespaceLabels,
        Duration probeInterval) {
      this(
          viaApiServerProxy,
          nodeExporter,
          nodeExporterPort,
          kubeStateMetrics,
          namespaceLabels,
          probeInterval,
          LabelSelector.parse(""),
          9400);
    }
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final PodDirectory directory;
  private final Listener listener;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> Thread.ofPlatform().daemon().name("kubernetes-discovery").unstarted(r));
  private final AtomicBoolean pending = new AtomicBoolean();
  private final List<SharedIndexInformer<?>> informers = new CopyOnWriteArrayList<>();

  // A relist in progress (scheduler thread only), and the old informers it replaces.
  private boolean relisting;
  private boolean podsSyncedBefore;
  private volatile List<SharedIndexInformer<?>> retired = List.of();
  private final Map<String, String> watchFailures = new ConcurrentHashMap<>();
  private SharedIndexInformer<Node> nodes;
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<Namespace> namespaces;
  private SharedIndexInformer<ReplicaSet> replicaSets;
  private SharedIndexInformer<Job> jobs;

  // Only touched on the scheduler thread.
  private List<Target> published;
  private final Map<String, Map<String, String>> labelsPublished = new HashMap<>();
  private final Map<String, Map<String, String>> annotationsPublished = new HashMap<>();
  private final Map<String, Map<String, String>> nodeLabelsPublished = new HashMap<>();

  /** The namespace annotations chargeback reads ({@code chargeback.dev/budget}, …). */
  public static final String ANNOTATION_PREFIX = "chargeback.dev/";

  private final Map<String, Long> gonePods = new HashMap<>();
  private Set<String> knownPods = Set.of();
  private boolean apiDown;

  public KubernetesDiscovery(
      KubernetesClient client, Settings settings, PodDirectory directory, Listener listener) {
    this.client = client;
    this.settings = settings;
    this.directory = directory;
    this.listener = listener;
  }

  /** Starts watching; returns at once (an unreachable API server is retried in the background). */
  public void start() {
    startInformers();
    long probe = settings.probeInterval().toMillis();
    scheduler.scheduleWithFixedDelay(this::probe, 0, probe, TimeUnit.MILLISECONDS);
  }

  /** Creates and starts the informers (each lists, then watches). */
  private void startInformers() {
    replicaSets = watch(client.apps().replicaSets().inAnyNamespace().runnableInformer(0));
    jobs = watch(client.batch().v1().jobs().inAnyNamespace().runnableInformer(0));
    namespaces = watch(client.namespaces().runnableInformer(0));
    nodes = watch(client.nodes().runnableInformer(0));
    pods = watch(client.pods().inAnyNamespace().runnableInformer(0));
    for (SharedIndexInformer<?> informer :
        List.<SharedIndexInformer<?>>of(replicaSets, jobs, namespaces, nodes, pods)) {
      informer.start();
    }
  }

  /**
   * After an outage, lists everything again with new informers. A watch resumed from the version it
   * had before the outage can miss what changed meanwhile: an API server that compacted that
   * history answers 410, and a server that keeps none says nothing at all. Until the new nodes (and
   * pods, if they had synced) have synced, what was published stands.
   */
  private void relist() {
    List<SharedIndexInformer<?>> old = List.copyOf(informers);
    informers.removeAll(old);
    podsSyncedBefore = pods.hasSynced();
    startInformers();
    retired = old;
    relisting = true;
  }

  /** Ends a relist once its informers have synced, stopping the old ones. */
  private void finishRelist() {
    if (relisting && nodes.hasSynced() && (!podsSyncedBefore || pods.hasSynced())) {
      retired.forEach(SharedIndexInformer::stop);
      retired = List.of();
      relisting = false;
    }
  }

  private <T extends HasMetadata> SharedIndexInformer<T> watch(SharedIndexInformer<T> informer) {
    informer.addEventHandler(
        new ResourceEventHandler<T>() {
          @Override
          public void onAdd(T obj) {
            changed();
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            changed();
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            changed();
          }
        });
    informer.exceptionHandler(
        (started, t) -> {
          String kind = informer.getApiTypeClass().getSimpleName();
          String why = reason(t);
          listener.apiError(kind + " watch: " + why);
          // One line per new reason (e.g. a missing RBAC rule), not one per retry.
          if (!why.equals(watchFailures.put(kind, why))) {
            LOG.warn("cannot list/watch {} (will retry): {}", kind, why);
          }
          return true;
        });
    informers.add(informer);
    return informer;
  }

  private void changed() {
    if (pending.compareAndSet(false, true)) {
      scheduler.schedule(this::refresh, BATCH_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /** Checks the API server; a failure is reported, and its end logged. */
  private void probe() {
    try {
      var http = client.getHttpClient();
      var request = http.newHttpRequestBuilder().uri(client.getMasterUrl() + "version").build();
      // The client retries with backoff for long: the probe gives up first, once per interval.
      long wait = Math.clamp(settings.probeInterval().toMillis(), 1_000, 10_000);
      var response = http.sendAsync(request, String.class).get(wait, TimeUnit.MILLISECONDS);
      if (response.code() != 200) {
        throw new IllegalStateException("HTTP " + response.code() + " from /version");
      }
      if (apiDown) {
        apiDown = false;
        LOG.info("Kubernetes API server reachable again; listing everything again");
        relist();
      }
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
        return;
      }
      String why = e instanceof TimeoutException ? "no answer" : reason(e);
      listener.apiError(why);
      if (!apiDown) {
        apiDown = true;
        LOG.warn(
            "Kubernetes API server unreachable ({}); metering the {} last known target(s)",
            why,
            published == null ? 0 : published.size());
      }
    }
    refresh();
  }

  /** Recomputes targets, pod facts and namespace labels from the informers' caches. */
  private void refresh() {
    pending.set(false);
    try {
      finishRelist();
      if (relisting) {
        return;
      }
      refreshPods();
      refreshNamespaceLabels();
      refreshNodeLabels();
      List<Target> targets = targets();
      if (!targets.equals(published) && nodes.hasSynced()) {
        published = targets;
        LOG.info("discovered {} target(s)", targets.size());
        listener.targets(targets);
      }
    } catch (RuntimeException e) {
      LOG.warn("discovery refresh failed: {}", reason(e));
    }
  }

  private List<Target> targets() {
    return DiscoveredTargets.of(
        nodes.getStore().list(), pods.getStore().list(), settings, client.getMasterUrl());
  }

  /** Owner and host networking of every pod; pods gone for an hour are forgotten. */
  private void refreshPods() {
    Set<String> seen = new HashSet<>();
    for (Pod pod : pods.getStore().list()) {
      ObjectMeta m = pod.getMetadata();
      boolean hostNetwork =
          pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork());
      directory.put(
          m.getNamespace(),
          m.getName(),
          new PodDirectory.Pod(
              OwnerChain.workload(
                  pod,
                  key -> replicaSets.getStore().getByKey(key),
                  key -> jobs.getStore().getByKey(key)),
              hostNetwork));
      seen.add(m.getNamespace() + '/' + m.getName());
    }
    long now = System.currentTimeMillis();
    for (String key : knownPods) {
      if (!seen.contains(key)) {
        gonePods.putIfAbsent(key, now);
      }
    }
    gonePods.keySet().removeAll(seen);
    for (var it = gonePods.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      if (now - e.getValue() > FORGET_AFTER_MILLIS) {
        int slash = e.getKey().indexOf('/');
        directory.remove(e.getKey().substring(0, slash), e.getKey().substring(slash + 1));
        it.remove();
      }
    }
    Set<String> known = new HashSet<>(seen);
    known.addAll(gonePods.keySet());
    knownPods = known;
  }

  private void refreshNodeLabels() {
    for (Node node : nodes.getStore().list()) {
      String name = node.getMetadata().getName();
      Map<String, String> labels =
          node.getMetadata().getLabels() == null
              ? Map.of()
              : new TreeMap<>(node.getMetadata().getLabels());
      if (!labels.equals(nodeLabelsPublished.get(name))) {
        nodeLabelsPublished.put(name, labels);
        listener.nodeLabels(name, labels);
      }
    }
  }

  private void refreshNamespaceLabels() {
    for (Namespace ns : namespaces.getStore().list()) {
      Map<String, String> annotations = new TreeMap<>();
      if (ns.getMetadata().getAnnotations() != null) {
        ns.getMetadata()
            .getAnnotations()
            .forEach(
                (k, v) -> {
                  if (k.startsWith(ANNOTATION_PREFIX)) {
                    annotations.put(k, v);
                  }
                });
      }
      if (!annotations.equals(annotationsPublished.get(ns.getMetadata().getName()))) {
        annotationsPublished.put(ns.getMetadata().getName(), annotations);
        listener.namespaceAnnotations(ns.getMetadata().getName(), annotations);
      }
    }
    if (settings.namespaceLabels().isEmpty()) {
      return;
    }
    for (Namespace ns : namespaces.getStore().list()) {
      Map<String, String> all = ns.getMetadata().getLabels();
      Map<String, String> chosen = new TreeMap<>();
      for (String key : settings.namespaceLabels()) {
        if (all != null && all.containsKey(key)) {
          chosen.put(key, all.get(key));
        }
      }
      String name = ns.getMetadata().getName();
      if (!chosen.equals(labelsPublished.get(name))) {
        labelsPublished.put(name, chosen);
        listener.namespaceLabels(name, chosen);
      }
    }
  }

  private static String reason(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message =
        root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return message.lines().findFirst().orElse(message);
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    for (SharedIndexInformer<?> informer : informers) {
      informer.stop();
    }
    retired.forEach(SharedIndexInformer::stop);
  }
}
