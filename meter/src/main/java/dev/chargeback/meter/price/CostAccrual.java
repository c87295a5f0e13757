package dev.chargeback.meter.price;

import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.time.BillingCalendar;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prices usage as it is metered, so the cost accrued since metering began is a stored total (for
 * {@code chargeback_cost_total}) and a month's cost is a handful of daily rollups. An increment is
 * priced with the version in force on its local day, after the namespace's discount and before tax;
 * usage on a node of one of the version's node classes pays the class's prices; CPU and memory
 * follow the version's basis: usage, requests, or for {@code max} the billable quantity metered per
 * container (usage when no requests are metered), as the bill prices them.
 */
public final class CostAccrual {
  private final PriceBook book;
  private final BillingCalendar calendar;

  /** Whether any version bills on basis max (else no scrape need look for its quantities). */
  private final boolean anyMax;

  /** A node's labels at an instant (epoch seconds), for its node class. */
  public interface NodeLabelsAt {
    Map<String, String> at(String node, long seconds);
  }

  private final NodeLabelsAt nodeLabels;

  public CostAccrual(PriceBook book, BillingCalendar calendar) {
    this(book, calendar, (node, seconds) -> Map.of());
  }

  /**
   * @param nodeLabels where usage on a node of a price version's node class is priced with the
   *     class's prices, as bills price it
   */
  public CostAccrual(PriceBook book, BillingCalendar calendar, NodeLabelsAt nodeLabels) {
    this.book = book;
    this.calendar = calendar;
    this.nodeLabels = nodeLabels;
    this.anyMax = book.versions().stream().anyMatch(v -> v.basis() == Basis.MAX);
  }

  /** The cost increments of {@code usages}: one per priced usage, same span and owner. */
  public List<Usage> costs(List<Usage> usages) {
    List<Usage> out = new ArrayList<>();
    boolean billable =
        anyMax
            && usages.stream()
                .anyMatch(
                    u ->
                        u.resource() == Resource.BILLABLE_CPU
                            || u.resource() == Resource.BILLABLE_MEMORY);
    LocalDate lastDay = null;
    PriceVersion version = null;
    for (Usage u : usages) {
      if (u.namespace().isEmpty()) {
        continue;
      }
      long mid = u.fromMillis() + (u.toMillis() - u.fromMillis()) / 2;
      LocalDate day = LocalDate.ofInstant(Instant.ofEpochMilli(mid), calendar.zone());
      if (!day.equals(lastDay)) {
        version = book.at(day);
        lastDay = day;
      }
      if (version == null) {
        continue;
      }
      Resource cost =
          u.resource().isGpu()
              ? gpuCostOf(u.resource(), version.gpuBasis())
              : costOf(u.resource(), version.basis(), billable);
      if (cost == null) {
        continue;
      }
      PricedResource priced = PricedResource.ofCost(cost);
      double unitsPerPrice = priced.unitsPerPrice;
      // The node's labels only when its class or GPU share is asked (a map lookup per usage).
      boolean gpu = cost == Resource.COST_GPU;
      Map<String, String> labels =
          u.node().isEmpty() || version.nodeClasses().isEmpty() && !gpu
              ? Map.of()
              : nodeLabels.at(u.node(), mid / 1000);
      String nodeClass = version.nodeClasses().isEmpty() ? "" : version.classOf(labels);
      BigDecimal price = priced.price(version.pricesFor(u.namespace(), nodeClass), u.device());
      if (price == null) {
        continue;
      }
      double quantity =
          u.resource() == Resource.REQUEST_GPU
              ? u.amount() / PriceBook.gpuReplicas(labels)
              : u.amount();
      double keep = 1 - version.discountFor(u.namespace()).doubleValue();
      double amount = quantity / unitsPerPrice * price.doubleValue() * keep;
      if (amount != 0) {
        out.add(
            new Usage(
                u.namespace(),
                u.workload(),
                u.node(),
                cost,
                u.fromMillis(),
                u.toMillis(),
                amount,
                u.device()));
      }
    }
    return out;
  }

  /**
   * The cost GPU time {@code r} accrues into under {@code gpuBasis}, or null. Basis {@code max}
   * (the larger of requests and utilisation per day) accrues the requests: the metric may then show
   * less than the bill, never more.
   */
  private static Resource gpuCostOf(Resource r, Basis gpuBasis) {
    return switch (r) {
      case REQUEST_GPU -> gpuBasis != Basis.USAGE ? Resource.COST_GPU : null;
      case GPU -> gpuBasis == Basis.USAGE ? Resource.COST_GPU : null;
      default -> null;
    };
  }

  /**
   * The cost that {@code r} accrues into under {@code basis}, or null; {@code billable} says
   * whether basis {@code max} quantities were metered beside the usage.
   */
  private static Resource costOf(Resource r, Basis basis, boolean billable) {
    Basis cpuAndMemory = basis == Basis.MAX && !billable ? Basis.USAGE : basis;
    return switch (r) {
      case CPU -> cpuAndMemory == Basis.USAGE ? Resource.COST_CPU : null;
      case MEMORY -> cpuAndMemory == Basis.USAGE ? Resource.COST_MEMORY : null;
      case REQUEST_CPU -> cpuAndMemory == Basis.REQUEST ? Resource.COST_CPU : null;
      case REQUEST_MEMORY -> cpuAndMemory == Basis.REQUEST ? Resource.COST_MEMORY : null;
      case BILLABLE_CPU -> cpuAndMemory == Basis.MAX ? Resource.COST_CPU : null;
      case BILLABLE_MEMORY -> cpuAndMemory == Basis.MAX ? Resource.COST_MEMORY : null;
      case NETWORK_RECEIVE -> Resource.COST_NETWORK_RECEIVE;
      case NETWORK_TRANSMIT -> Resource.COST_NETWORK_TRANSMIT;
      case STORAGE -> Resource.COST_STORAGE;
      default -> null;
    };
  }
}
