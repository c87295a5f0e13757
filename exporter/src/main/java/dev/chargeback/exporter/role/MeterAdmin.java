package dev.chargeback.exporter.role;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chargeback.meter.config.ConfigException;
import dev.chargeback.meter.store.RocksKeyValueStore;
import dev.chargeback.meter.store.StoreException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;

/**
 * Commands that write (import, backup) run where the store's one writer is: on a stopped meter's
 * data directly, or, when a meter holds the store, through that meter's admin endpoint.
 */
final class MeterAdmin {
  /** The meter's admin endpoints (config key admin.listen), on loopback in the meter's pod. */
  static final String DEFAULT_URL = "http://127.0.0.1:9468";

  private static final ObjectMapper JSON = new ObjectMapper();

  private MeterAdmin() {}

  /** The store opened for writing, or null when a running meter holds it. */
  static RocksKeyValueStore openUnlessRunning(Path data) {
    try {
      return RocksKeyValueStore.openPrimary(data, true);
    } catch (StoreException e) {
      if (e.getMessage().contains("already open")) {
        return null;
      }
      throw e;
    }
  }

  /**
   * Sends {@code request} as JSON to the running meter's {@code path}, prints its answer, and
   * returns the exit status: 0 for 200, 1 for 207 (done in part).
   */
  static int forward(String meterUrl, String path, Object request, PrintStream out) {
    String url = meterUrl.replaceAll("/+$", "") + path;
    out.println("the meter is running: asking it to do this (" + url + ")");
    try (HttpClient client = HttpClient.newHttpClient()) {
      HttpResponse<String> response =
          client.send(
              HttpRequest.newBuilder(URI.create(url))
                  .header("Content-Type", "application/json")
                  .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(request)))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      out.print(response.body());
      return switch (response.statusCode()) {
        case 200 -> 0;
        case 207 -> 1;
        default -> throw new ConfigException("the meter refused: HTTP " + response.statusCode());
      };
    } catch (IOException e) {
      throw new ConfigException(
          "the store is locked by a running meter, and its admin endpoint "
              + meterUrl
              + " cannot be reached ("
              + e.getMessage()
              + "); pass --meter-url, or stop the meter");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ConfigException("interrupted");
    }
  }
}
