package dev.chargeback.exporter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chargeback.exporter.harness.ChargebackProcess;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** What chargeback.jar ships: the product, not its bench or tests. */
class JarIT {
  @Test
  void theJarHoldsNoBenchAndRunsItsMain() throws Exception {
    try (JarFile jar = new JarFile(ChargebackProcess.jar().toFile())) {
      List<String> names = jar.stream().map(JarEntry::getName).toList();
      assertThat(names).contains("dev/chargeback/exporter/Main.class");
      assertThat(names).noneMatch(n -> n.startsWith("dev/chargeback/exporter/bench/"));
      assertThat(names).noneMatch(n -> n.endsWith("IT.class") || n.endsWith("Test.class"));
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo("dev.chargeback.exporter.Main");
      assertThat(jar.getManifest().getMainAttributes().getValue("Enable-Native-Access"))
          .isEqualTo("ALL-UNNAMED");
    }
  }
}
