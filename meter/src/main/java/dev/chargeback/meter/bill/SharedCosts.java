package dev.chargeback.meter.bill;

import dev.chargeback.meter.price.PriceVersion;
import dev.chargeback.meter.price.SharedCost;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A month's shared costs spread: per price version, each shared namespace's cost under that version
 * (its lines less discount plus tax) is split over the tenant namespaces by the version's rule, to
 * the minor unit by largest remainder, so the parts add up to it exactly and the tenants' bills
 * together carry the whole cluster's cost.
 */
final class SharedCosts {
  static final SharedCosts NONE = new SharedCosts(Map.of(), Map.of());

  private final Map<String, List<Bill.Share>> shares;
  private final Map<String, List<String>> notes;

  private SharedCosts(Map<String, List<Bill.Share>> shares, Map<String, List<String>> notes) {
    this.shares = shares;
    this.notes = notes;
  }

  /** The shares on {@code namespace}'s bill: received (positive) or given away (negative). */
  List<Bill.Share> of(String namespace) {
    return shares.getOrDefault(namespace, List.of());
  }

  /** What {@code namespace}'s bill should say about its spread (a cost that found no tenant). */
  List<String> notes(String namespace) {
    return notes.getOrDefault(namespace, List.of());
  }

  /**
   * @param own every namespace's priced segments in the month, without shares (namespaces without
   *     usage absent)
   */
  static SharedCosts spread(Map<String, List<Bill.Segment>> own, int minor) {
    Set<PriceVersion> versions = new LinkedHashSet<>();
    own.values().forEach(segments -> segments.forEach(s -> versions.add(s.version())));
    Map<String, List<Bill.Share>> shares = new TreeMap<>();
    Map<String, List<String>> notes = new TreeMap<>();
    Map<String, List<Bill.Segment>> sorted = new TreeMap<>(own);
    for (PriceVersion v : versions) {
      // The tenants under this version: namespaces with usage then, neither shared nor idle.
      Map<String, BigDecimal> tenants = new LinkedHashMap<>();
      sorted.forEach(
          (ns, segments) -> {
            Bill.Segment mine = segment(segments, v);
            if (mine != null && !v.shared().containsKey(ns) && !ns.equals(SharedCost.IDLE)) {
              tenants.put(ns, mine.amount());
            }
          });
      for (SharedCost pool : v.shared().values()) {
        Bill.Segment shared = segment(own.get(pool.namespace()), v);
        if (shared == null) {
          continue;
        }
        BigDecimal cost = shared.amount().subtract(shared.discount()).add(shared.tax());
        List<SharedCost.Part> parts = pool.split(cost, tenants, minor);
        if (parts.isEmpty()) {
          if (cost.signum() != 0) {
            notes
                .computeIfAbsent(pool.namespace(), k -> new ArrayList<>())
                .add(
                    "the cost from "
                        + v.effectiveFrom()
                        + " was not spread: no tenant namespace had a "
                        + (pool.spread() == SharedCost.Spread.WEIGHTS ? "weight" : "cost")
                        + " then");
          }
          continue;
        }
        for (SharedCost.Part part : parts) {
          BigDecimal fraction =
              BigDecimal.valueOf(part.fraction()).setScale(6, RoundingMode.HALF_UP);
          shares
              .computeIfAbsent(part.tenant(), k -> new ArrayList<>())
              .add(
                  new Bill.Share(
                      pool.namespace(), part.tenant(), v.effectiveFrom(), fraction, part.amount()));
          shares
              .computeIfAbsent(pool.namespace(), k -> new ArrayList<>())
              .add(
                  new Bill.Share(
                      pool.namespace(),
                      part.tenant(),
                      v.effectiveFrom(),
                      fraction,
                      part.amount().negate()));
        }
      }
    }
    return new SharedCosts(shares, notes);
  }

  private static Bill.Segment segment(List<Bill.Segment> segments, PriceVersion v) {
    if (segments == null) {
      return null;
    }
    for (Bill.Segment s : segments) {
      if (s.version().equals(v)) {
        return s;
      }
    }
    return null;
  }
}
