package dev.chargeback.meter.rollup;

/** Whose usage a rollup sums. The code is stored in keys and must never change. */
public enum Scope {
  /** owner = namespace. */
  NAMESPACE(1),
  /** owner = namespace, workload = "Kind/name". */
  WORKLOAD(2),
  /** owner = node name. */
  NODE(3),
  /** owner = "" for the cluster, or a target name for {@link Resource#COVERED}. */
  CLUSTER(4),
  /**
   * Usage on the nodes of one label set: owner = namespace ("" for the cluster's CPU and memory use
   * and the nodes' capacity), workload = placement, the label set's id (see {@code NodeLabels}).
   * Day buckets only, written only for nodes whose labels are recorded (the price book has node
   * classes).
   */
  PLACEMENT(5);

  public final int code;

  Scope(int code) {
    this.code = code;
  }

  public static Scope ofCode(int code) {
    for (Scope s : values()) {
      if (s.code == code) {
        return s;
      }
    }
    throw new IllegalArgumentException("unknown scope code " + code);
  }
}
