package io.raftlock.bench;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.raftlock.proto.auth.AuthChangeRequest;
import io.raftlock.proto.auth.CreateKeyRequest;
import io.raftlock.proto.auth.EnableAuthRequest;
import io.raftlock.proto.auth.Grant;
import io.raftlock.proto.auth.PrincipalRole;
import io.raftlock.proto.auth.RoleGrant;
import io.raftlock.testing.StockAuth;
import io.raftlock.testing.StockRaftLock;
import io.raftlock.testing.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The secure cluster of {@code scripts/bench.sh --secure}, prepared in two steps around its start:
 * <pre>
 *   SecureBenchSetup certs DIR node-1,node-2,node-3   a CA (DIR/ca.pem) and per member DIR/ID.pem and
 *                                                     DIR/ID-key.pem naming the node id, localhost and 127.0.0.1
 *   SecureBenchSetup auth DIR HOST:PORT               over TLS: auth enabled, a role "bench" with lock on the
 *                                                     benchmark's lock names and read on everything, a principal
 *                                                     "bench" with it and its key in DIR/bench.key
 * </pre>
 * The benchmark's clients then run as that principal: every call is checked against a real ACL,
 * not as the admin (which would skip nothing, but is not how an application runs).
 */
public final class SecureBenchSetup {
  /** The lock-name prefixes of ClientLoadBench's workloads (W1: lock-RUN-…, W2: handoff-RUN). */
  static final List<String> LOCK_PREFIXES = List.of("lock-*", "handoff-*");

  private SecureBenchSetup() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3 || !List.of("certs", "auth").contains(args[0])) {
      throw new IllegalArgumentException("usage: SecureBenchSetup certs DIR ID,ID,... | auth DIR HOST:PORT");
    }
    Path dir = Path.of(args[1]);
    if (args[0].equals("certs")) {
      certificates(dir, List.of(args[2].split(",")));
    } else {
      String[] hp = args[2].split(":");
      enableAuth(dir, hp[0], Integer.parseInt(hp[1]));
    }
  }

  static void certificates(Path dir, List<String> ids) {
    TestCertificates ca = TestCertificates.authority("raftlock-bench-ca");
    for (String id : ids) {
      ca.issue(dir, id, id, id, "localhost");
    }
  }

  static void enableAuth(Path dir, String host, int port) throws IOException, InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, port,
        TlsChannelCredentials.newBuilder().trustManager(dir.resolve("ca.pem").toFile()).build()).build();
    try {
      // Over TLS the node answers the first admin key to a caller on any host (docs/security.md).
      String adminKey = new StockRaftLock(channel, 30_000).call(StockAuth.ENABLE,
          EnableAuthRequest.newBuilder().setPrincipal("admin").build()).getKey();
      StockRaftLock admin = new StockRaftLock(StockAuth.withKey(channel, adminKey), 30_000);
      change(admin, AuthChangeRequest.newBuilder().setCreateRole("bench"));
      for (String prefix : LOCK_PREFIXES) {
        change(admin, AuthChangeRequest.newBuilder().setGrant(RoleGrant.newBuilder().setRole("bench")
            .setGrant(Grant.newBuilder().setPrefix(prefix).setPermission("lock"))));
      }
      // read on everything: /metrics, which the heap sampler reads with the same key.
      change(admin, AuthChangeRequest.newBuilder().setGrant(RoleGrant.newBuilder().setRole("bench")
          .setGrant(Grant.newBuilder().setPrefix("*").setPermission("read"))));
      change(admin, AuthChangeRequest.newBuilder().setCreatePrincipal("bench"));
      change(admin, AuthChangeRequest.newBuilder().setAssignRole(PrincipalRole.newBuilder().setPrincipal("bench")
          .setRole("bench")));
      String key = admin.call(StockAuth.CREATE_KEY, CreateKeyRequest.newBuilder().setPrincipal("bench").build())
          .getKey();
      Files.writeString(dir.resolve("bench.key"), key + "\n");
      System.out.println("auth enabled; the benchmark runs as principal bench (key in " + dir.resolve("bench.key")
          + ")");
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static void change(StockRaftLock admin, AuthChangeRequest.Builder r) {
    admin.call(StockAuth.CHANGE, r.build());
  }
}
