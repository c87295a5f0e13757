package dev.chargeback.meter.sim;

import dev.chargeback.meter.exposition.Format;
import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.scrape.Meter;
import dev.chargeback.meter.scrape.ScrapeException;
import dev.chargeback.meter.scrape.Target;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulated cluster's targets, and a replay that meters its history in-process at a coarse step
 * (no HTTP) so a demo starts with a month of data.
 */
public final class SimReplay {
  private SimReplay() {}

  /**
   * The simulated endpoints under {@code baseUrl} (e.g. {@code http://127.0.0.1:9466/sim}). Target
   * names do not contain the URL, so a replay and a later live loop share series state.
   */
  public static List<Target> targets(SimCluster sim, String baseUrl) {
    List<Target> out = new ArrayList<>();
    for (String node : sim.nodes()) {
      out.add(
          new Target(
              "cadvisor:sim/" + node,
              SourceRole.CADVISOR,
              URI.create(baseUrl + "/" + node + "/metrics/cadvisor"),
              node,
              Target.Access.PLAIN));
      out.add(
          new Target(
              "node-exporter:sim/" + node,
              SourceRole.NODE_EXPORTER,
              URI.create(baseUrl + "/" + node + "/metrics"),
              node,
              Target.Access.PLAIN));
    }
    out.add(
        new Target(
            "dcgm:sim/" + sim.gpuNode(),
            SourceRole.DCGM,
            URI.create(baseUrl + "/" + sim.gpuNode() + "/dcgm/metrics"),
            sim.gpuNode(),
            Target.Access.PLAIN));
    out.add(
        new Target(
            "kube-state-metrics:sim",
            SourceRole.KUBE_STATE_METRICS,
            URI.create(baseUrl + "/kube-state-metrics/metrics"),
            "",
            Target.Access.PLAIN));
    return out;
  }

  /** What {@code target} would answer at {@code millis}. */
  public static byte[] render(SimCluster sim, Target target, long millis) {
    return switch (target.role()) {
      case CADVISOR -> sim.cadvisor(target.node(), millis);
      case NODE_EXPORTER -> sim.nodeExporter(target.node(), millis);
      case KUBE_STATE_METRICS -> sim.kubeStateMetrics(millis);
      case DCGM -> sim.dcgm(target.node(), millis);
    };
  }

  /**
   * Meters the simulated cluster's history into {@code store}: every target at each step in
   * [fromMillis, toMillis], with gauges integrated across a step ({@code maxGap} = 2 steps) and
   * cost accrued when {@code accrual} is given. Target names match {@link #targets}, so a live loop
   * afterwards continues the same series.
   *
   * @return the number of scrapes ingested
   */
  public static long history(
      SimCluster sim,
      RollupStore store,
      CostAccrual accrual,
      long fromMillis,
      long toMillis,
      long stepMillis) {
    Meter meter =
        new Meter(
            store,
            ParserLimits.DEFAULT,
            new PodDirectory(),
            Duration.ofMillis(2 * stepMillis),
            accrual);
    return replay(sim, meter, targets(sim, "http://replay/sim"), fromMillis, toMillis, stepMillis);
  }

  /**
   * Meters every target at each step in [fromMillis, toMillis].
   *
   * @return the number of scrapes ingested
   */
  public static long replay(
      SimCluster sim,
      Meter meter,
      List<Target> targets,
      long fromMillis,
      long toMillis,
      long stepMillis) {
    long scrapes = 0;
    for (long t = fromMillis; t <= toMillis; t += stepMillis) {
      for (Target target : targets) {
        try {
          meter.ingest(target, new ByteArrayInputStream(render(sim, target, t)), Format.TEXT, t);
        } catch (ScrapeException e) {
          throw new IllegalStateException("the simulator rendered an invalid scrape", e);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
        scrapes++;
      }
    }
    return scrapes;
  }
}
