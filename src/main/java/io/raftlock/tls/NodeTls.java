package io.raftlock.tls;

import io.raftlock.config.ConfigException;
import io.raftlock.config.TlsSettings;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;

/**
 * A node's TLS: the client port's material, the peer port's, and the reloader that keeps both in
 * step with their files. {@link #load} reads and checks every file before anything starts, so a
 * node with a missing file or a key that does not match its certificate refuses to start with
 * the field named.
 */
public final class NodeTls {
  private final TlsSettings settings;
  private final ReloadableTls client;
  private final ReloadableTls peer;
  private TlsReloader reloader;

  private NodeTls(TlsSettings settings, ReloadableTls client, ReloadableTls peer) {
    this.settings = settings;
    this.client = client;
    this.peer = peer;
  }

  /** Reads and checks the configured files (blocking: call before the node starts). */
  public static NodeTls load(TlsSettings settings) {
    ReloadableTls client = settings.clientTls()
        ? new ReloadableTls(PemMaterial.read("tls.client", settings.client())) : null;
    ReloadableTls peer = settings.peerTls()
        ? new ReloadableTls(PemMaterial.read("tls.peer", settings.peer())) : null;
    if (client != null && client.current().caPem() == null && peer == null) {
      // A member calls other members' client ports (the cluster page, joining): it must be able
      // to verify them, and only a configured CA can say whom to trust.
      throw new ConfigException("tls.client.caFile",
          "is needed (or tls.peer) so that members can verify each other's client ports");
    }
    return new NodeTls(settings, client, peer);
  }

  /** The client port's material, or null for plaintext. */
  public ReloadableTls client() {
    return client;
  }

  /** The peer port's material, or null for plaintext. */
  public ReloadableTls peer() {
    return peer;
  }

  public boolean clientCertificatesRequired() {
    return settings.clientCertificatesRequired();
  }

  /**
   * Options for this node's own calls to other members' client ports (the cluster page's status
   * fetches, a join): over TLS when the client port uses it, trusting the client CA (or else the
   * peer CA) and presenting the peer identity (or else the client port's). Host names are not
   * checked: the CA is the cluster's own.
   */
  public HttpClientOptions toMemberClientPorts(HttpClientOptions options) {
    if (client == null) {
      return options;
    }
    ReloadableTls trust = client.current().caPem() != null ? client : peer;
    ReloadableTls identity = peer != null ? peer : client;
    return options.setSsl(true).setUseAlpn(true).setVerifyHost(false)
        .setTrustOptions(trust.trustOptions()).setKeyCertOptions(identity.keyCertOptions());
  }

  /** Starts re-reading the files every {@code tls.reloadCheckMs}. */
  public void watch(Vertx vertx) {
    if (client == null && peer == null) {
      return;
    }
    reloader = new TlsReloader(vertx, settings.reloadCheckMs());
    if (client != null) {
      reloader.watch("tls.client", settings.client(), client);
    }
    if (peer != null) {
      reloader.watch("tls.peer", settings.peer(), peer);
    }
  }

  public void stop() {
    if (reloader != null) {
      reloader.stop();
    }
  }
}
