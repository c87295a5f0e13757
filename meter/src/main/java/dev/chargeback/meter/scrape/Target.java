package dev.chargeback.meter.scrape;

import dev.chargeback.meter.usage.SourceRole;
import java.net.URI;

/**
 * An endpoint to meter.
 *
 * @param name stable identity, the key of its stored series: {@code role:url}
 * @param node the node it reports for, "" when unknown
 * @param access which credentials reach it
 */
public record Target(String name, SourceRole role, URI url, String node, Access access) {
  /** The credentials a target needs. */
  public enum Access {
    /** Plain HTTP(S), no credentials: static targets, node-exporter, kube-state-metrics. */
    PLAIN,
    /** A kubelet, directly: the service account's bearer token and the kubelet TLS settings. */
    KUBELET,
    /** A path on the Kubernetes API server (the node proxy), with the API client's credentials. */
    API_SERVER
  }

  /** Parses {@code ROLE=URL} as given to {@code --target}. */
  public static Target parse(String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException(
          "target '"
              + spec
              + "' is not ROLE=URL (e.g. cadvisor=http://10.0.0.1:10250/metrics/cadvisor)");
    }
    SourceRole role = SourceRole.ofFlag(spec.substring(0, eq));
    URI url;
    try {
      url = URI.create(spec.substring(eq + 1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("target '" + spec + "' has an invalid URL", e);
    }
    if (url.getScheme() == null
        || !(url.getScheme().equals("http") || url.getScheme().equals("https"))) {
      throw new IllegalArgumentException("target '" + spec + "' needs an http(s) URL");
    }
    return of(role, url, "");
  }

  public static Target of(SourceRole role, URI url, String node) {
    return of(role, url, node, Access.PLAIN);
  }

  public static Target of(SourceRole role, URI url, String node, Access access) {
    return new Target(role.flag + ":" + url, role, url, node, access);
  }
}
