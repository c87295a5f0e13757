package dev.chargeback.meter.sim;

/**
 * One simulated container with closed-form usage. CPU follows {@code base + amp·sin} (so its
 * counter and integrals are exact), memory a triangle wave (piecewise linear: the trapezoid rule is
 * exact between its corners), network constant rates on the pod's sandbox.
 *
 * @param startSeconds when the container started
 * @param endSeconds when it exited ({@link Double#POSITIVE_INFINITY} while running)
 * @param rxRate bytes/s received (only the pod's first container carries the pod's network)
 * @param gpus NVIDIA devices requested (whole GPUs, or MIG slices of {@code gpuDevice})
 * @param gpuDevice "" for whole GPUs, else the MIG profile ({@code 1g.10gb})
 * @param gpuUtil the devices' constant utilisation, 0 to 1, as dcgm-exporter reports it
 */
record SimContainer(
    String namespace,
    String pod,
    String container,
    String workloadKind,
    String workloadName,
    String uid,
    String node,
    double startSeconds,
    double endSeconds,
    double cpuBase,
    double cpuAmp,
    double memBase,
    double memAmp,
    double rxRate,
    double txRate,
    boolean hostNetwork,
    double requestCpu,
    double requestMemory,
    double gpus,
    String gpuDevice,
    double gpuUtil) {

  /** A container without GPUs. */
  SimContainer(
      String namespace,
      String pod,
      String container,
      String workloadKind,
      String workloadName,
      String uid,
      String node,
      double startSeconds,
      double endSeconds,
      double cpuBase,
      double cpuAmp,
      double memBase,
      double memAmp,
      double rxRate,
      double txRate,
      boolean hostNetwork,
      double requestCpu,
      double requestMemory) {
    this(
        namespace,
        pod,
        container,
        workloadKind,
        workloadName,
        uid,
        node,
        startSeconds,
        endSeconds,
        cpuBase,
        cpuAmp,
        memBase,
        memAmp,
        rxRate,
        txRate,
        hostNetwork,
        requestCpu,
        requestMemory,
        0,
        "",
        0);
  }

  /** This container with {@code count} GPU devices of {@code device}, used at {@code util}. */
  SimContainer withGpus(double count, String device, double util) {
    return new SimContainer(
        namespace,
        pod,
        container,
        workloadKind,
        workloadName,
        uid,
        node,
        startSeconds,
        endSeconds,
        cpuBase,
        cpuAmp,
        memBase,
        memAmp,
        rxRate,
        txRate,
        hostNetwork,
        requestCpu,
        requestMemory,
        count,
        device,
        util);
  }

  /** Device-seconds requested in [from, to]. */
  double gpuSeconds(double from, double to) {
    double a = Math.max(from, startSeconds);
    double b = Math.min(to, endSeconds);
    return b <= a ? 0 : gpus * (b - a);
  }

  static final double DAY = 86400;

  /** Dead containers stay visible (frozen counters, no memory) this long, as in cAdvisor. */
  static final double LINGER = 120;

  boolean running(double t) {
    return t >= startSeconds && t < endSeconds;
  }

  boolean visible(double t) {
    return t >= startSeconds && t < endSeconds + LINGER;
  }

  /** Core-seconds used in [from, to]. */
  double cpuSeconds(double from, double to) {
    double a = Math.max(from, startSeconds);
    double b = Math.min(to, endSeconds);
    if (b <= a) {
      return 0;
    }
    double w = 2 * Math.PI / DAY;
    return cpuBase * (b - a) + cpuAmp / w * (Math.cos(w * a) - Math.cos(w * b));
  }

  /** The cumulative CPU counter at t (frozen after exit). */
  double cpuCounter(double t) {
    return cpuSeconds(startSeconds, t);
  }

  double memory(double t) {
    return memBase + memAmp * triangle(t / DAY);
  }

  /** Byte-seconds of working set in [from, to]. */
  double memorySeconds(double from, double to) {
    double a = Math.max(from, startSeconds);
    double b = Math.min(to, endSeconds);
    if (b <= a) {
      return 0;
    }
    return memBase * (b - a)
        + memAmp * DAY * (triangleIntegral(b / DAY) - triangleIntegral(a / DAY));
  }

  double bytes(double rate, double from, double to) {
    double a = Math.max(from, startSeconds);
    double b = Math.min(to, endSeconds);
    return b <= a ? 0 : rate * (b - a);
  }

  /** 0 → 1 → 0 over each unit period. */
  static double triangle(double x) {
    double u = x - Math.floor(x);
    return u < 0.5 ? 2 * u : 2 - 2 * u;
  }

  /** ∫₀ˣ triangle. */
  static double triangleIntegral(double x) {
    double whole = Math.floor(x);
    double u = x - whole;
    double part = u < 0.5 ? u * u : 2 * u - u * u - 0.5;
    return whole * 0.5 + part;
  }
}
