package dev.chargeback.meter.usage;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.chargeback.meter.rollup.Resource;
import java.time.Duration;

/**
 * What is known about pods beyond their names: owning workload and host networking. Filled from
 * kube-state-metrics ({@code kube_pod_info}) or the Kubernetes API; without it, workloads are
 * derived from pod names and host networking from counters.
 *
 * <p>Bounded under pod churn (100,000 short-lived pods a day): a pod nobody asked about for {@link
 * #IDLE} is forgotten, whoever told of it (kube-state-metrics does not say when a pod is gone), and
 * at most {@link #MAX_PODS} are held. A running pod is asked about at every scrape of its node, so
 * only pods that are gone (or never ran) age out; a forgotten pod that shows up again is told of
 * again by the next kube-state-metrics scrape or API event.
 */
public final class PodDirectory {
  /** How long a pod's facts are kept without being asked for. */
  public static final Duration IDLE = Duration.ofHours(2);

  /** Pods held at most (a cluster's limit is 150,000 pods). */
  public static final long MAX_PODS = 200_000;

  /** Known facts about one pod. */
  public record Pod(String workload, boolean hostNetwork) {}

  private final Cache<String, Pod> pods;
  private final Cache<String, Double> requests;
  private volatile boolean requestsMetered;

  public PodDirectory() {
    this(Ticker.systemTicker());
  }

  /** A directory whose idle time is read from {@code ticker} (tests replay hours in a moment). */
  PodDirectory(Ticker ticker) {
    this.pods =
        Caffeine.newBuilder()
            .maximumSize(MAX_PODS)
            .expireAfterAccess(IDLE)
            .ticker(ticker)
            .executor(Runnable::run)
            .build();
    this.requests =
        Caffeine.newBuilder()
            .maximumSize(4 * MAX_PODS)
            .expireAfterAccess(IDLE)
            .ticker(ticker)
            .executor(Runnable::run)
            .build();
  }

  public void put(String namespace, String pod, Pod info) {
    pods.put(namespace + '/' + pod, info);
  }

  /** Forgets a pod that is gone. */
  public void remove(String namespace, String pod) {
    pods.invalidate(namespace + '/' + pod);
  }

  /** The pod's facts, or null when unknown. */
  public Pod get(String namespace, String pod) {
    return pods.getIfPresent(namespace + '/' + pod);
  }

  /** The workload of a pod: from metadata when known, else from its name. */
  public String workload(String namespace, String pod) {
    Pod info = get(namespace, pod);
    return info != null ? info.workload() : Workloads.fromPodName(pod);
  }

  /** Records a container's request of CPU (cores) or memory (bytes), as kube-state-metrics said. */
  public void putRequest(
      String namespace, String pod, String container, Resource resource, double value) {
    requestsMetered = true;
    requests.put(requestKey(namespace, pod, container, resource), value);
  }

  /**
   * A container's request of CPU or memory: NaN while requests are not metered (no
   * kube-state-metrics told any), 0 when this container's is not known.
   */
  public double request(String namespace, String pod, String container, Resource resource) {
    if (!requestsMetered) {
      return Double.NaN;
    }
    Double value = requests.getIfPresent(requestKey(namespace, pod, container, resource));
    return value == null ? 0 : value;
  }

  private static String requestKey(
      String namespace, String pod, String container, Resource resource) {
    return namespace + '/' + pod + '/' + container + '/' + resource.code;
  }

  /** Pods held now (approximate: expired entries leave lazily). */
  public long size() {
    pods.cleanUp();
    return pods.estimatedSize();
  }
}
