package dev.chargeback.meter.scrape;

import dev.chargeback.meter.sim.SimCluster;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Answers {@code http://sim/NODE} with the simulated node's cAdvisor at the clock's time. */
final class SimTransport implements Transport {
  private final SimCluster sim;
  private final InstantSource clock;
  final AtomicInteger requests = new AtomicInteger();

  SimTransport(SimCluster sim, InstantSource clock) {
    this.sim = sim;
    this.clock = clock;
  }

  static URI url(String node) {
    return URI.create("http://sim/" + node);
  }

  @Override
  public Response get(URI url, Duration timeout) {
    requests.incrementAndGet();
    byte[] body = sim.cadvisor(url.getPath().substring(1), clock.millis());
    return new Response() {
      @Override
      public int status() {
        return 200;
      }

      @Override
      public Optional<String> header(String name) {
        return name.equalsIgnoreCase("Content-Type")
            ? Optional.of("text/plain; version=0.0.4")
            : Optional.empty();
      }

      @Override
      public InputStream body() {
        return new ByteArrayInputStream(body);
      }
    };
  }

  @Override
  public void close() {}
}
