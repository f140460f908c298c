package io.raftlock.client;

import io.vertx.grpc.client.GrpcClientRequest;

/**
 * The metadata every call of a client carries: its API key as {@code authorization: Bearer KEY}
 * (clusters with auth enabled, docs/security.md), on unary calls and on the session stream alike.
 */
final class CallHeaders {
  static final CallHeaders NONE = new CallHeaders(null);

  private final String authorization;

  private CallHeaders(String authorization) {
    this.authorization = authorization;
  }

  /** Headers that present {@code apiKey}; refuses a key that cannot travel in a header. */
  static CallHeaders apiKey(String apiKey) {
    if (apiKey == null || apiKey.isBlank()) {
      throw new IllegalArgumentException("api key must not be empty");
    }
    for (int i = 0; i < apiKey.length(); i++) {
      char c = apiKey.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException("api key must be printable ASCII without spaces");
      }
    }
    return new CallHeaders("Bearer " + apiKey);
  }

  void applyTo(GrpcClientRequest<?, ?> request) {
    if (authorization != null) {
      request.headers().set("authorization", authorization);
    }
  }
}
