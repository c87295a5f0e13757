package dev.chargeback.meter.scrape;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.meter.exposition.ParserLimits;
import dev.chargeback.meter.sim.SimCluster;
import dev.chargeback.meter.store.InstrumentedKeyValueStore;
import dev.chargeback.meter.store.MemoryKeyValueStore;
import dev.chargeback.meter.store.RollupStore;
import dev.chargeback.meter.time.BillingCalendar;
import dev.chargeback.meter.usage.PodDirectory;
import dev.chargeback.meter.usage.SourceRole;
import java.time.Duration;
import java.time.InstantSource;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A running loop whose round fails with an Error keeps scraping at the next interval. */
class ScrapeLoopSurvivesErrorIT {
  @Test
  void aLoopGoesOnAfterAnErrorInARound() throws Exception {
    SimCluster sim = new SimCluster();
    InstantSource clock = InstantSource.system();
    InstrumentedKeyValueStore kv = new InstrumentedKeyValueStore(new MemoryKeyValueStore());
    RollupStore store = new RollupStore(kv, new BillingCalendar(ZoneOffset.UTC));
    Meter meter = new Meter(store, ParserLimits.DEFAULT, new PodDirectory(), Duration.ofMinutes(2));
    SimTransport transport = new SimTransport(sim, clock);
    Target kubelet =
        Target.of(SourceRole.CADVISOR, SimTransport.url(sim.nodes().get(0)), sim.nodes().get(0));
    kv.failNextWriteAfterItLands(new OutOfMemoryError("injected"));
    try (ScrapeLoop loop =
        new ScrapeLoop(
            meter,
            new Scraper(Duration.ofSeconds(5), Map.of(Target.Access.PLAIN, transport)),
            clock,
            Duration.ofMillis(100))) {
      loop.start(List.of(kubelet));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (transport.requests.get() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(kv.struck()).isTrue();
      assertThat(transport.requests.get())
          .as("scrapes after the failed one")
          .isGreaterThanOrEqualTo(4);
      assertThat(loop.errors()).containsEntry(kubelet.name(), 1L);
    }
  }
}
