package dev.chargeback.meter.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class PodDirectoryTest {
  private final AtomicLong nanos = new AtomicLong();
  private final PodDirectory pods = new PodDirectory(nanos::get);

  private void advance(Duration d) {
    nanos.addAndGet(d.toNanos());
  }

  @Test
  void podsThatAreGoneAreForgottenWhilePodsStillScrapedStay() {
    pods.put("ci", "runner-8f2k1", new PodDirectory.Pod("Job/runner-8f2k1", false));
    pods.put("web", "api-7d4b9-x2kqp", new PodDirectory.Pod("Deployment/api", false));
    for (int minute = 0; minute < 180; minute++) {
      advance(Duration.ofMinutes(1));
      // Every scrape of its node asks about the running pod; nobody asks about the gone one.
      assertThat(pods.workload("web", "api-7d4b9-x2kqp")).isEqualTo("Deployment/api");
    }
    assertThat(pods.get("ci", "runner-8f2k1")).isNull();
    assertThat(pods.size()).isEqualTo(1);
  }

  @Test
  void churnOfUniquePodsStaysBounded() {
    // A day of 100,000 short-lived pods, each told of once and asked about for its hour.
    for (int i = 0; i < 100_000; i++) {
      pods.put("ci", "step-" + i, new PodDirectory.Pod("Workflow/w-" + i, false));
      if (i % 100 == 0) {
        advance(Duration.ofSeconds(86));
      }
    }
    assertThat(pods.size()).isLessThan(10_000);
  }
}
