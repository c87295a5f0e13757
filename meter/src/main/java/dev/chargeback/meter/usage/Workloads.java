package dev.chargeback.meter.usage;

/**
 * Names the workload ("Kind/name") a pod belongs to. From owner metadata when known; otherwise from
 * the naming conventions of Kubernetes controllers.
 */
public final class Workloads {
  private Workloads() {}

  /**
   * Guesses from a pod name: {@code web-7d4b9c8f5-x2kqp} → Deployment/web, {@code db-0} →
   * StatefulSet/db, {@code backup-29012345-abcde} → CronJob/backup, {@code agent-x2kqp} →
   * Workload/agent (a DaemonSet or a Job: only metadata can tell), anything else → Pod/name.
   */
  public static String fromPodName(String pod) {
    int last = pod.lastIndexOf('-');
    if (last <= 0) {
      return "Pod/" + pod;
    }
    String suffix = pod.substring(last + 1);
    String head = pod.substring(0, last);
    if (isDigits(suffix)) {
      return "StatefulSet/" + head;
    }
    if (suffix.length() != 5 || !isKubeRandom(suffix)) {
      return "Pod/" + pod;
    }
    int prev = head.lastIndexOf('-');
    if (prev > 0) {
      String middle = head.substring(prev + 1);
      String owner = head.substring(0, prev);
      if (middle.length() >= 8 && isDigits(middle)) {
        return "CronJob/" + owner;
      }
      if (middle.length() >= 6 && middle.length() <= 10 && isKubeRandom(middle)) {
        return "Deployment/" + owner;
      }
    }
    return "Workload/" + head;
  }

  /**
   * From an owner reference as kube-state-metrics reports it ({@code created_by_kind}, {@code
   * created_by_name}): a ReplicaSet's Deployment and a Job's CronJob are recovered.
   */
  public static String fromOwner(String kind, String name, String pod) {
    if (kind.isEmpty() || name.isEmpty() || kind.equals("<none>")) {
      return fromPodName(pod);
    }
    int last = name.lastIndexOf('-');
    String suffix = last > 0 ? name.substring(last + 1) : "";
    return switch (kind) {
      case "ReplicaSet" ->
          last > 0 && suffix.length() >= 6 && isKubeRandom(suffix)
              ? "Deployment/" + name.substring(0, last)
              : "ReplicaSet/" + name;
      case "Job" ->
          last > 0 && suffix.length() >= 8 && isDigits(suffix)
              ? "CronJob/" + name.substring(0, last)
              : "Job/" + name;
      case "Node" -> "Pod/" + pod;
      default -> kind + "/" + name;
    };
  }

  private static boolean isDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  /** Kubernetes' random suffixes avoid vowels and some look-alikes: bcdfghjklmnpqrstvwxz2456789. */
  private static boolean isKubeRandom(String s) {
    for (int i = 0; i < s.length(); i++) {
      if ("bcdfghjklmnpqrstvwxz2456789".indexOf(s.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }
}
