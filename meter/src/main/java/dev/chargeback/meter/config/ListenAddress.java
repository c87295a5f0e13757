package dev.chargeback.meter.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A {@code HOST:PORT} to listen on; an empty host means every address, {@code [::1]} an IPv6 one.
 *
 * @param host the address to bind, {@code 0.0.0.0} for every address
 * @param port 0 to 65535 (0: a free port)
 */
public record ListenAddress(String host, int port) {

  /** Parses {@code value}, naming {@code key} when it is not HOST:PORT. */
  public static ListenAddress parse(String key, String value) {
    int colon = value.lastIndexOf(':');
    if (colon < 0) {
      throw new ConfigException("config key '" + key + "': '" + value + "' is not HOST:PORT");
    }
    String host = value.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(value.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new ConfigException(
          "config key '" + key + "': '" + value + "' has no port number (0 to 65535)");
    }
    return new ListenAddress(host.isEmpty() ? "0.0.0.0" : host, port);
  }

  /** Whether only this machine (this pod) can connect. */
  public boolean loopback() {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }
}
