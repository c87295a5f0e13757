package dev.chargeback.meter.history;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chargeback.meter.price.CostAccrual;
import dev.chargeback.meter.rollup.Resource;
import dev.chargeback.meter.rollup.Usage;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.usage.Workloads;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads usage hour by hour from a Prometheus-compatible query API: step-aligned hourly range
 * queries ({@code [1h]} windows evaluated at each hour's end, cache friendly for query frontends),
 * at most a day per query, aggregated by pod and then by workload (owners from {@code
 * kube_pod_owner} when present). With requests, basis {@code max}'s quantity is taken per container
 * and hour, the finest the source offers (live metering takes it per scrape interval). Each hour is
 * written whole or not at all; failed hours are listed and left for the next run.
 */
public final class PrometheusImport {
  private static final long HOUR = HourlyUsage.HOUR;
  private static final String APP = "container!=\"\",container!=\"POD\",pod!=\"\",namespace!=\"\"";
  private static final String NOT_HOST_NETWORK =
      " unless on (namespace, pod) kube_pod_info{host_network=\"true\"}";

  private static final String NODE_NAME =
      " * on (instance) group_left (nodename) max by (instance, nodename) (node_uname_info)";

  /** How a query's values become usage: a counter's increase, or a gauge's samples × interval. */
  private enum Kind {
    INCREASE,
    GAUGE
  }

  private record Query(Resource resource, Kind kind, String promql) {}

  private static final List<Query> QUERIES =
      List.of(
          new Query(
              Resource.CPU,
              Kind.INCREASE,
              "sum by (namespace, pod, container) (increase(container_cpu_usage_seconds_total{"
                  + APP
                  + "}[1h]))"),
          new Query(
              Resource.MEMORY,
              Kind.GAUGE,
              "sum by (namespace, pod, container) (sum_over_time(container_memory_working_set_bytes{"
                  + APP
                  + "}[1h]))"),
          new Query(
              Resource.NETWORK_RECEIVE,
              Kind.INCREASE,
              "sum by (namespace, pod) (increase(container_network_receive_bytes_total{pod!=\"\",namespace!=\"\"}[1h])"
                  + NOT_HOST_NETWORK
                  + ")"),
          new Query(
              Resource.NETWORK_TRANSMIT,
              Kind.INCREASE,
              "sum by (namespace, pod) (increase(container_network_transmit_bytes_total{pod!=\"\",namespace!=\"\"}[1h])"
                  + NOT_HOST_NETWORK
                  + ")"),
          new Query(
              Resource.STORAGE,
              Kind.GAUGE,
              "sum by (namespace) (sum_over_time(kube_persistentvolumeclaim_resource_requests_storage_bytes[1h]))"),
          new Query(
              Resource.REQUEST_CPU,
              Kind.GAUGE,
              "sum by (namespace, pod, container) (sum_over_time(kube_pod_container_resource_requests{resource=\"cpu\"}[1h]))"),
          // Node capacity (node-exporter), for idle cost as live: cores are the CPUs' idle-mode
          // series, named by the node's name from node_uname_info.
          new Query(
              Resource.CAPACITY_CPU,
              Kind.GAUGE,
              "sum by (nodename) (count_over_time(node_cpu_seconds_total{mode=\"idle\"}[1h])"
                  + NODE_NAME
                  + ")"),
          new Query(
              Resource.CAPACITY_MEMORY,
              Kind.GAUGE,
              "sum by (nodename) (sum_over_time(node_memory_MemTotal_bytes[1h])" + NODE_NAME + ")"),
          new Query(
              Resource.REQUEST_MEMORY,
              Kind.GAUGE,
              "sum by (namespace, pod, container) (sum_over_time(kube_pod_container_resource_requests{resource=\"memory\"}[1h]))"));

  /** What is kept per container and hour for basis {@code max}: usage, then request. */
  private static final List<Resource> CONTAINER_SLOTS =
      List.of(Resource.CPU, Resource.MEMORY, Resource.REQUEST_CPU, Resource.REQUEST_MEMORY);

  /** Samples per hour of the densest series: the engine's scrape interval is an hour / that. */
  private static final String SAMPLES_PER_HOUR =
      "max(count_over_time(container_memory_working_set_bytes{" + APP + "}[1h]))";

  private static final String OWNERS =
      "max by (namespace, pod, owner_kind, owner_name) (max_over_time(kube_pod_owner[1h]))";

  private final HourlyImport hourly;
  private final PrometheusApi api;

  /**
   * @param accrual prices the usage into accrued cost as live metering does; null for none
   * @param attempts tries per day of queries before its hours are reported missing
   */
  public PrometheusImport(RollupStore store, PrometheusApi api, CostAccrual accrual, int attempts) {
    this.api = api;
    this.hourly =
        new HourlyImport(
            store,
            new HourlyImport.Source() {
              @Override
              public List<String> clusters(long from, long to) {
                return List.of("");
              }

              @Override
              public Map<String, Map<Long, List<Usage>>> fetch(long from, long to)
                  throws PrometheusApi.QueryException, InterruptedException {
                return Map.of("", PrometheusImport.this.fetch(from, to));
              }
            },
            cluster -> accrual,
            attempts);
  }

  /** Imports the whole UTC hours in [from, to) (epoch millis; to is rounded down to an hour). */
  public ImportReport run(long fromMillis, long toMillis) throws InterruptedException {
    return hourly.run(fromMillis, toMillis);
  }

  /**
   * Adds one series of {@code q}'s answer to the hourly sums per namespace and workload, and a
   * container's CPU, memory and requests to its hour's {@link #CONTAINER_SLOTS}.
   */
  private static void add(
      Map<Long, Map<List<String>, double[]>> sums,
      Map<Long, Map<List<String>, double[]>> containers,
      Query q,
      JsonNode series,
      Map<String, String> owners,
      Map<Long, Double> interval) {
    JsonNode m = series.path("metric");
    String ns = m.path("namespace").asText();
    String pod = m.path("pod").asText();
    String node = m.path("nodename").asText();
    String workload =
        pod.isEmpty() ? "" : owners.getOrDefault(ns + '/' + pod, Workloads.fromPodName(pod));
    for (JsonNode v : series.path("values")) {
      long hour = v.get(0).asLong() * 1000 - HOUR;
      double value = v.get(1).asDouble();
      if (q.kind() == Kind.GAUGE) {
        Double step = interval.get(hour);
        if (step == null) {
          continue;
        }
        value *= step;
      }
      if (Double.isFinite(value) && value > 0) {
        sums.computeIfAbsent(hour, h -> new HashMap<>())
                .computeIfAbsent(
                    List.of(ns, workload, q.resource().name(), node), k -> new double[1])[0] +=
            value;
        int slot = CONTAINER_SLOTS.indexOf(q.resource());
        if (slot >= 0) {
          containers.computeIfAbsent(hour, h -> new HashMap<>())
                  .computeIfAbsent(
                      List.of(ns, workload, pod, m.path("container").asText()),
                      k -> new double[CONTAINER_SLOTS.size()])[slot] +=
              value;
        }
      }
    }
  }

  /**
   * Basis {@code max}'s quantity, when requests were metered: per container and hour, the larger of
   * its usage and its request, summed per namespace and workload; a container that did not run (no
   * usage) bills nothing, as live.
   */
  private static void billable(
      Map<Long, Map<List<String>, double[]>> sums,
      Map<Long, Map<List<String>, double[]>> containers) {
    boolean requests =
        containers.values().stream()
            .flatMap(byContainer -> byContainer.values().stream())
            .anyMatch(v -> v[2] > 0 || v[3] > 0);
    if (!requests) {
      return;
    }
    containers.forEach(
        (hour, byContainer) ->
            byContainer.forEach(
                (k, v) -> {
                  if (v[0] == 0 && v[1] == 0) {
                    return; // not running that hour: live metering bills no request either
                  }
                  for (int slot = 0; slot < 2; slot++) {
                    double quantity = Math.max(v[slot], v[slot + 2]);
                    if (quantity > 0) {
                      String billable = CONTAINER_SLOTS.get(slot).billable().name();
                      sums.computeIfAbsent(hour, h -> new HashMap<>())
                              .computeIfAbsent(
                                  List.of(k.get(0), k.get(1), billable, ""), x -> new double[1])[
                              0] +=
                          quantity;
                    }
                  }
                }));
  }

  /** Usage per hour in [from, to), from one query per resource (at most a day). */
  private Map<Long, List<Usage>> fetch(long from, long to)
      throws PrometheusApi.QueryException, InterruptedException {
    long start = from / 1000 + 3600;
    long end = to / 1000;
    // A gauge's samples × the engine's scrape interval, taken per hour from its densest series;
    // an hour with few samples (a pod that came or went, the edge of the data) has its samples
    // spaced at the interval of the chunk's full hours.
    Map<Long, Double> counts = new HashMap<>();
    double[] densest = {0};
    api.queryRange(
        SAMPLES_PER_HOUR,
        start,
        end,
        3600,
        series -> {
          for (JsonNode v : series.path("values")) {
            double count = v.get(1).asDouble();
            if (count > 0) {
              counts.put(v.get(0).asLong() * 1000 - HOUR, count);
              densest[0] = Math.max(densest[0], count);
            }
          }
        });
    Map<Long, Double> interval = new HashMap<>();
    for (Map.Entry<Long, Double> e : counts.entrySet()) {
      double count = e.getValue() >= densest[0] / 2 ? e.getValue() : densest[0];
      interval.put(e.getKey(), Math.rint(3600 / count));
    }
    Map<String, String> owners = new HashMap<>();
    api.queryRange(
        OWNERS,
        start,
        end,
        3600,
        series -> {
          JsonNode m = series.path("metric");
          owners.put(
              m.path("namespace").asText() + '/' + m.path("pod").asText(),
              Workloads.fromOwner(
                  m.path("owner_kind").asText(),
                  m.path("owner_name").asText(),
                  m.path("pod").asText()));
        });
    Map<Long, Map<List<String>, double[]>> sums = new TreeMap<>();
    Map<Long, Map<List<String>, double[]>> containers = new HashMap<>();
    for (Query q : QUERIES) {
      api.queryRange(
          q.promql(),
          start,
          end,
          3600,
          series -> add(sums, containers, q, series, owners, interval));
    }
    billable(sums, containers);
    Map<Long, List<Usage>> out = new TreeMap<>();
    sums.forEach(
        (hour, byKey) -> {
          List<Usage> usages = new ArrayList<>();
          byKey.forEach(
              (k, v) ->
                  usages.add(
                      new Usage(
                          k.get(0),
                          k.get(1),
                          k.get(3),
                          Resource.valueOf(k.get(2)),
                          hour,
                          hour + HOUR,
                          v[0])));
          out.put(hour, usages);
        });
    return out;
  }
}
