package dev.chargeback.meter.usage;

/** The kinds of endpoints the meter reads, by their names in {@code --target ROLE=URL}. */
public enum SourceRole {
  CADVISOR("cadvisor"),
  NODE_EXPORTER("node-exporter"),
  KUBE_STATE_METRICS("kube-state-metrics"),
  /** NVIDIA dcgm-exporter: GPU utilisation per device, attributed to pods. */
  DCGM("dcgm");

  public final String flag;

  SourceRole(String flag) {
    this.flag = flag;
  }

  /** The role named {@code flag}, or an error listing the valid names. */
  public static SourceRole ofFlag(String flag) {
    for (SourceRole r : values()) {
      if (r.flag.equals(flag)) {
        return r;
      }
    }
    throw new IllegalArgumentException(
        "unknown target role '"
            + flag
            + "' (expected cadvisor, node-exporter, kube-state-metrics, dcgm)");
  }
}
