package io.raftlock.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.file.Path;

/**
 * TLS for a node (JSON object {@code "tls"}; absent = plaintext, the zero-setup default). Only
 * the shape is checked here; the files themselves (present, PEM, key matching certificate) are
 * checked when the node starts, by {@code io.raftlock.tls.PemMaterial}, with the field named.
 *
 * @param client TLS on the client port (gRPC, WebSocket, HTTP, the page); null = plaintext.
 *     Its {@code caFile}, when given, turns on client-certificate authentication: a client must
 *     present a certificate signed by that CA.
 * @param peer mutual TLS on the peer port; null = plaintext. Its {@code caFile} is required: it
 *     signs every member's certificate, and each certificate must name its node id (a DNS SAN).
 * @param reloadCheckMs how often the files are re-read; changed files take effect for new
 *     connections without a restart (rotation by a secret manager)
 */
public record TlsSettings(Files client, Files peer, long reloadCheckMs) {
  public static final long DEFAULT_RELOAD_CHECK_MS = 5_000;

  /** One endpoint's PEM files: its certificate chain, its private key (PKCS#8), a CA bundle. */
  public record Files(Path certFile, Path keyFile, Path caFile) {
    @JsonCreator
    static Files fromJson(@JsonProperty("certFile") String certFile,
        @JsonProperty("keyFile") String keyFile, @JsonProperty("caFile") String caFile) {
      return new Files(path(certFile), path(keyFile), path(caFile));
    }

    private static Path path(String text) {
      return text == null || text.isBlank() ? null : Path.of(text);
    }
  }

  @JsonCreator
  static TlsSettings fromJson(@JsonProperty("client") Files client, @JsonProperty("peer") Files peer,
      @JsonProperty("reloadCheckMs") Long reloadCheckMs) {
    return new TlsSettings(client, peer, reloadCheckMs == null ? DEFAULT_RELOAD_CHECK_MS : reloadCheckMs);
  }

  public TlsSettings {
    if (client != null) {
      required("tls.client.certFile", client.certFile());
      required("tls.client.keyFile", client.keyFile());
    }
    if (peer != null) {
      required("tls.peer.certFile", peer.certFile());
      required("tls.peer.keyFile", peer.keyFile());
      required("tls.peer.caFile", peer.caFile());
    }
    if (reloadCheckMs < 100) {
      throw new ConfigException("tls.reloadCheckMs", "must be ≥ 100, was " + reloadCheckMs);
    }
  }

  /** Plaintext everywhere. */
  public static final TlsSettings NONE = new TlsSettings(null, null, DEFAULT_RELOAD_CHECK_MS);

  public boolean clientTls() {
    return client != null;
  }

  public boolean peerTls() {
    return peer != null;
  }

  /** Client certificates are required on the client port. */
  public boolean clientCertificatesRequired() {
    return client != null && client.caFile() != null;
  }

  private static void required(String field, Path value) {
    if (value == null) {
      throw new ConfigException(field, "is required when this TLS endpoint is configured");
    }
  }
}
