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
  CLUSTER(4);

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
