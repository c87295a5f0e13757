package dev.chargeback.meter.discovery;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Opens the Kubernetes API the way kubectl would: a given kubeconfig, else {@code KUBECONFIG} or
 * {@code ~/.kube/config} (current context), else the pod's service account.
 */
public final class KubernetesConnection {
  private KubernetesConnection() {}

  /**
   * Whether discovery runs: {@code on}, {@code off}, or {@code auto}: in a pod ({@code
   * KUBERNETES_SERVICE_HOST} is set) or when a kubeconfig file exists.
   */
  public static boolean wanted(String mode, String kubeconfig, Map<String, String> env) {
    return switch (mode) {
      case "on" -> true;
      case "off" -> false;
      default ->
          !kubeconfig.isBlank()
              || env.containsKey("KUBERNETES_SERVICE_HOST")
              || defaultKubeconfig(env).stream().anyMatch(Files::isRegularFile);
    };
  }

  private static List<Path> defaultKubeconfig(Map<String, String> env) {
    String list = env.get("KUBECONFIG");
    if (list != null && !list.isBlank()) {
      return Arrays.stream(list.split(File.pathSeparator)).map(Path::of).toList();
    }
    return List.of(Path.of(System.getProperty("user.home"), ".kube", "config"));
  }

  /** A client for {@code kubeconfig} (a file), or auto-configured when blank. */
  public static KubernetesClient open(String kubeconfig) {
    Config config;
    if (kubeconfig.isBlank()) {
      config = Config.autoConfigure(null);
    } else {
      config = Config.fromKubeconfig(null, new File(kubeconfig));
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  /**
   * A client for request/response calls on the request path (access reviews): short timeouts and
   * one retry, so an unreachable API server fails the request in seconds instead of backing off.
   */
  public static KubernetesClient openForRequests(String kubeconfig) {
    Config base =
        kubeconfig.isBlank()
            ? Config.autoConfigure(null)
            : Config.fromKubeconfig(null, new File(kubeconfig));
    return new KubernetesClientBuilder()
        .withConfig(
            new ConfigBuilder(base)
                .withConnectionTimeout(3_000)
                .withRequestTimeout(5_000)
                .withRequestRetryBackoffLimit(1)
                .build())
        .build();
  }

  /** The client's bearer token, for kubelets reached directly from outside the cluster. */
  public static Supplier<String> token(KubernetesClient client) {
    return () -> {
      Config c = client.getConfiguration();
      String token = c.getOauthToken();
      return token != null && !token.isBlank() ? token : c.getAutoOAuthToken();
    };
  }
}
