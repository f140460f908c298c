package io.raftlock.spring.boot;

import io.raftlock.client.RaftLockClient;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/** {@code raftlock.*}: where the cluster is, how to reach it, and the lease of the registry's locks. */
@ConfigurationProperties("raftlock")
public class RaftLockProperties {
  /** Client API addresses of the members, comma-separated host:port. */
  private String endpoints = RaftLockClient.DEFAULT_ENDPOINTS;
  /** The client's owner id on the cluster; one per process (default: a random one). */
  private String clientId;
  /** Lease of a lock taken through the lock registry (1 s..24 h), renewed while held. */
  private Duration lease = Duration.ofSeconds(30);
  /** Longest time one call may take, retries included (client default when unset). */
  private Duration operationTimeout;
  /** Longest time one attempt may take (client default when unset). */
  private Duration attemptTimeout;
  /** Longest time to open a connection (client default when unset). */
  private Duration connectTimeout;
  private final Tls tls = new Tls();

  /** TLS to the client port: PEM files (docs/security.md). Off while ca-file is unset. */
  public static class Tls {
    /** CA certificates that signed the members' client-port certificates. */
    private String caFile;
    /** This client's certificate chain, for clusters that require client certificates. */
    private String certFile;
    /** This client's private key, with cert-file. */
    private String keyFile;

    public String getCaFile() {
      return caFile;
    }

    public void setCaFile(String caFile) {
      this.caFile = caFile;
    }

    public String getCertFile() {
      return certFile;
    }

    public void setCertFile(String certFile) {
      this.certFile = certFile;
    }

    public String getKeyFile() {
      return keyFile;
    }

    public void setKeyFile(String keyFile) {
      this.keyFile = keyFile;
    }
  }

  public String getEndpoints() {
    return endpoints;
  }

  public void setEndpoints(String endpoints) {
    this.endpoints = endpoints;
  }

  public String getClientId() {
    return clientId;
  }

  public void setClientId(String clientId) {
    this.clientId = clientId;
  }

  public Duration getLease() {
    return lease;
  }

  public void setLease(Duration lease) {
    this.lease = lease;
  }

  public Duration getOperationTimeout() {
    return operationTimeout;
  }

  public void setOperationTimeout(Duration operationTimeout) {
    this.operationTimeout = operationTimeout;
  }

  public Duration getAttemptTimeout() {
    return attemptTimeout;
  }

  public void setAttemptTimeout(Duration attemptTimeout) {
    this.attemptTimeout = attemptTimeout;
  }

  public Duration getConnectTimeout() {
    return connectTimeout;
  }

  public void setConnectTimeout(Duration connectTimeout) {
    this.connectTimeout = connectTimeout;
  }

  public Tls getTls() {
    return tls;
  }
}
