package io.raftlock.api;

import io.raftlock.config.NodeConfig;
import io.raftlock.config.ConfigException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Which web pages may open the WebSocket API. A browser sends the page's {@code Origin} with the
 * upgrade request and lets any page open a WebSocket anywhere, so without this check a page in an
 * operator's browser could take and release locks on a node it can reach. Allowed: requests
 * without {@code Origin} (non-browser clients, which can send anything anyway), the node's own
 * origin (the {@code Origin} host and port equal to those of the request's {@code Host}: the
 * cluster page and tools served by the node), and the configured {@code api.allowedOrigins}
 * ({@code "*"}: any).
 */
final class OriginPolicy {
  private final Set<String> allowed;
  private final boolean any;

  /** {@code allowed}: origins as {@link NodeConfig.ClientApi#normalizeOrigin} writes them, or {@code "*"}. */
  OriginPolicy(List<String> allowed) {
    this.allowed = Set.copyOf(allowed);
    this.any = allowed.contains("*");
  }

  static OriginPolicy sameOriginOnly() {
    return new OriginPolicy(List.of());
  }

  /**
   * Whether an upgrade with {@code origin} (null when absent) and {@code host} (the request's
   * Host header, null when absent) on a connection with or without TLS may proceed.
   */
  boolean allows(String origin, String host, boolean ssl) {
    if (origin == null || any) {
      return true;
    }
    String normalized;
    try {
      normalized = NodeConfig.ClientApi.normalizeOrigin("Origin", origin.trim());
    } catch (ConfigException e) {
      return false; // "null" (a sandboxed page or file://) and anything malformed
    }
    return allowed.contains(normalized) || sameOrigin(normalized, host, ssl);
  }

  private static boolean sameOrigin(String normalizedOrigin, String host, boolean ssl) {
    if (host == null || host.isBlank()) {
      return false;
    }
    String scheme = ssl ? "https" : "http";
    String h = host.trim().toLowerCase(Locale.ROOT);
    boolean hasPort = h.lastIndexOf(':') > h.lastIndexOf(']'); // an IPv6 literal is bracketed
    String authority = hasPort ? h : h + ":" + (ssl ? 443 : 80);
    return normalizedOrigin.equals(scheme + "://" + authority);
  }
}
