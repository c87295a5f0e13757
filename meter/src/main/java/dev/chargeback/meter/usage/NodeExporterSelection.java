package dev.chargeback.meter.usage;

import dev.chargeback.meter.exposition.Labels;
import dev.chargeback.meter.exposition.Sample;
import dev.chargeback.meter.rollup.Resource;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * node-exporter: node capacity (cores as distinct {@code cpu} values of {@code
 * node_cpu_seconds_total}, {@code node_memory_MemTotal_bytes}), integrated for idle cost and
 * utilisation.
 */
final class NodeExporterSelection implements Selection {
  static final String CPU = "node_cpu_seconds_total";
  static final String MEM_TOTAL = "node_memory_MemTotal_bytes";
  static final String UNAME = "node_uname_info";

  private final Set<String> cpus = new HashSet<>();
  private String node;
  private double memTotal = Double.NaN;

  NodeExporterSelection(String node) {
    this.node = node;
  }

  @Override
  public boolean wants(String name) {
    return name.equals(CPU) || name.equals(MEM_TOTAL) || name.equals(UNAME);
  }

  @Override
  public void sample(Sample s) {
    switch (s.name()) {
      case CPU -> cpus.add(s.labels().get("cpu"));
      case MEM_TOTAL -> memTotal = s.value();
      default -> {
        String name = s.labels().get("nodename");
        if (node.isEmpty() && !name.isEmpty()) {
          node = name;
        }
      }
    }
  }

  @Override
  public List<Reading> finish(long scrapeMillis) {
    Reading cores =
        new Reading(
            Labels.identityOf("capacity_cpu"),
            Reading.Kind.GAUGE,
            Resource.CAPACITY_CPU,
            "",
            "",
            node,
            cpus.size(),
            scrapeMillis,
            Double.NaN);
    if (Double.isNaN(memTotal)) {
      return cpus.isEmpty() ? List.of() : List.of(cores);
    }
    Reading memory =
        new Reading(
            Labels.identityOf("capacity_memory"),
            Reading.Kind.GAUGE,
            Resource.CAPACITY_MEMORY,
            "",
            "",
            node,
            memTotal,
            scrapeMillis,
            Double.NaN);
    return cpus.isEmpty() ? List.of(memory) : List.of(cores, memory);
  }
}
