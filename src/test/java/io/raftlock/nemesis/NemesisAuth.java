package io.raftlock.nemesis;

import static org.awaitility.Awaitility.await;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.CreateKeyRequest;
import io.raftlock.proto.auth.EnableAuthRequest;
import io.raftlock.proto.auth.Grant;
import io.raftlock.proto.auth.PrincipalRole;
import io.raftlock.proto.auth.RoleGrant;
import io.raftlock.testing.StockAuth;
import io.raftlock.testing.StockRaftLock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Turns auth on for a nemesis run the way an operator would (docs/security.md, "Bootstrap"):
 * {@code Enable} from the nodes' own host prints the first admin key once; with it, a role
 * {@value #ROLE} with {@code lock} and {@code read} on the lock-name prefix the clients use, a
 * principal {@value #PRINCIPAL} with that role, and one API key of it for every client. The
 * admin key stays with the harness (the log dumps need {@code admin}).
 */
final class NemesisAuth {
  static final String ADMIN = "nemesis-admin";
  static final String PRINCIPAL = "nemesis";
  static final String ROLE = "nemesis-locks";
  private static final int CALL_TIMEOUT_MS = 20_000;

  /** The keys of a run with auth on. */
  record Keys(String admin, String client) {}

  private NemesisAuth() {}

  /**
   * Enables auth through {@code nodeEndpoint}, creates the clients' principal with {@code lock}
   * and {@code read} on {@code lockPrefix}, and returns once every node in {@code endpoints}
   * accepts the clients' key (has applied its creation).
   */
  static Keys enable(String nodeEndpoint, List<String> endpoints, String lockPrefix) {
    ManagedChannel channel = channel(nodeEndpoint);
    try {
      String admin = call(channel, StockAuth.ENABLE,
          EnableAuthRequest.newBuilder().setPrincipal(ADMIN).build()).getKey();
      Channel asAdmin = StockAuth.withKey(channel, admin);
      change(asAdmin, AuthChangeRequest.newBuilder().setCreateRole(ROLE));
      for (String permission : List.of("lock", "read")) {
        change(asAdmin, AuthChangeRequest.newBuilder().setGrant(RoleGrant.newBuilder().setRole(ROLE)
            .setGrant(Grant.newBuilder().setPrefix(lockPrefix).setPermission(permission))));
      }
      change(asAdmin, AuthChangeRequest.newBuilder().setCreatePrincipal(PRINCIPAL));
      change(asAdmin, AuthChangeRequest.newBuilder()
          .setAssignRole(PrincipalRole.newBuilder().setPrincipal(PRINCIPAL).setRole(ROLE)));
      String client = call(asAdmin, StockAuth.CREATE_KEY,
          CreateKeyRequest.newBuilder().setPrincipal(PRINCIPAL).build()).getKey();
      endpoints.forEach(e -> awaitKnown(e, client));
      return new Keys(admin, client);
    } finally {
      close(channel);
    }
  }

  /** The node at {@code endpoint} answers a call made with {@code key}. */
  private static void awaitKnown(String endpoint, String key) {
    ManagedChannel channel = channel(endpoint);
    try {
      Channel withKey = StockAuth.withKey(channel, key);
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> call(withKey, StockRaftLock.GET_STATUS, GetStatusRequest.getDefaultInstance()) != null);
    } finally {
      close(channel);
    }
  }

  private static void change(Channel admin, AuthChangeRequest.Builder r) {
    call(admin, StockAuth.CHANGE, r.build());
  }

  private static <Q, R> R call(Channel channel, MethodDescriptor<Q, R> method, Q request) {
    return new StockRaftLock(channel, CALL_TIMEOUT_MS).call(method, request);
  }

  private static ManagedChannel channel(String hostPort) {
    return ManagedChannelBuilder.forTarget(hostPort).usePlaintext().build();
  }

  private static void close(ManagedChannel channel) {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
