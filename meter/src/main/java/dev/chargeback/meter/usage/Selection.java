package dev.chargeback.meter.usage;

import dev.chargeback.meter.exposition.SampleSink;
import java.util.List;

/**
 * Picks the billable series out of one scrape. Some rules need the whole scrape (a {@code
 * cpu="total"} row wins over per-CPU rows; host-network pods match the root cgroup), so readings
 * come out at the end.
 */
public interface Selection extends SampleSink {
  /** The billable readings of the scrape; samples without a timestamp take {@code scrapeMillis}. */
  List<Reading> finish(long scrapeMillis);

  /** A fresh selection for one scrape of a target with this role. */
  static Selection forRole(SourceRole role, String node, PodDirectory pods) {
    return switch (role) {
      case CADVISOR -> new CadvisorSelection(node, pods);
      case KUBE_STATE_METRICS -> new KubeStateSelection(pods);
      case NODE_EXPORTER -> new NodeExporterSelection(node);
      case DCGM -> new DcgmSelection(node, pods);
    };
  }
}
