package dev.hourglass.client.internal;

import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * Where a connection goes: the pool keeps idle connections per endpoint.
 *
 * @param tls true for https
 * @param host the host name or IP literal, without IPv6 brackets
 * @param port the port, the scheme's default when the URL has none
 */
public record HttpEndpoint(boolean tls, String host, int port) {
  /**
   * The endpoint of a URL.
   *
   * @param uri an absolute http or https URL
   * @return its endpoint
   * @throws IllegalArgumentException if the scheme is neither http nor https, or there is no host
   */
  public static HttpEndpoint of(URI uri) {
    String scheme = uri.getScheme();
    boolean tls = "https".equalsIgnoreCase(scheme);
    if (!tls && !"http".equalsIgnoreCase(scheme)) {
      throw new IllegalArgumentException("url=" + uri + " is neither http nor https");
    }
    String host = uri.getHost();
    if (host == null) {
      throw new IllegalArgumentException("url=" + uri + " has no host");
    }
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new HttpEndpoint(tls, host, uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80);
  }

  /** The {@code Host} header line, IPv6 literals in brackets, the port only when not default. */
  byte[] hostLine() {
    String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    String p = port == (tls ? 443 : 80) ? "" : ":" + port;
    return ("Host: " + h + p + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** True for an IPv4 or IPv6 literal, which SNI must not name. */
  boolean ipLiteral() {
    return host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
  }
}
