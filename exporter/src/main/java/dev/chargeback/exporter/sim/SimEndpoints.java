package dev.chargeback.exporter.sim;

import dev.chargeback.exporter.http.HttpApi;
import dev.chargeback.meter.sim.SimCluster;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.time.InstantSource;

/**
 * Routes that answer like the simulated cluster's kubelets, node-exporters and kube-state-metrics,
 * at the time {@code clock} says, under a path prefix.
 */
public final class SimEndpoints {
  private static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";

  private SimEndpoints() {}

  /**
   * Adds {@code PREFIX/{node}/metrics/cadvisor}, {@code PREFIX/{node}/metrics} (node-exporter),
   * {@code PREFIX/{node}/dcgm/metrics} and KSM.
   */
  public static void register(
      JavalinConfig cfg, String prefix, SimCluster sim, InstantSource clock) {
    cfg.routes.get(
        prefix + "/kube-state-metrics/metrics",
        ctx -> ctx.contentType(TEXT).result(sim.kubeStateMetrics(clock.millis())));
    cfg.routes.get(
        prefix + "/{node}/metrics/cadvisor",
        ctx -> {
          if (known(ctx, sim)) {
            ctx.contentType(TEXT).result(sim.cadvisor(ctx.pathParam("node"), clock.millis()));
          }
        });
    cfg.routes.get(
        prefix + "/{node}/metrics",
        ctx -> {
          if (known(ctx, sim)) {
            ctx.contentType(TEXT).result(sim.nodeExporter(ctx.pathParam("node"), clock.millis()));
          }
        });
    cfg.routes.get(
        prefix + "/{node}/dcgm/metrics",
        ctx -> {
          if (known(ctx, sim)) {
            ctx.contentType(TEXT).result(sim.dcgm(ctx.pathParam("node"), clock.millis()));
          }
        });
  }

  private static boolean known(Context ctx, SimCluster sim) {
    if (sim.nodes().contains(ctx.pathParam("node"))) {
      return true;
    }
    HttpApi.error(ctx, 404, "no such simulated node", ctx.pathParam("node"));
    return false;
  }
}
