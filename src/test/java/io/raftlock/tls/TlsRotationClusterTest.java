package io.raftlock.tls;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.raftlock.client.ClientTls;
import io.raftlock.client.LockHandle;
import io.raftlock.client.RaftLockClient;
import io.raftlock.config.TlsSettings;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.testing.LocalCluster;
import io.raftlock.testing.TestCertificates;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CA rotation on a running 3-node cluster while TLS clients acquire and release without
 * pause, done the way docs/security.md tells an operator to: every member trusts the old and the
 * new CA, then each member in turn gets new client-port and peer certificates from the new CA
 * (written over the files it watches), then the old CA is dropped. Nothing restarts during the
 * rotation.
 *
 * <p>Checked: the application sees no failed operation (the client retries what a busy or
 * re-handshaking member refuses), every acknowledged acquire and release took effect (tokens of
 * each lock only increase, nothing is held at the end), each member serves the new certificate
 * (by fingerprint) to a fresh handshake, the cluster keeps a leader (term changes are printed and
 * bounded), and afterwards the peer port refuses a certificate of the old CA and a new-CA
 * certificate that does not name the member it claims to be, while a member restarted then
 * (all its peer connections new, both ways) catches up over the rotated certificates.
 */
@Timeout(300)
class TlsRotationClusterTest {
  private static final long RELOAD_CHECK_MS = 200;
  private static final int CLIENTS = 4;
  /** Elections a rotation may cost on a loaded machine; one needs none. */
  private static final long MAX_TERM_CHANGES = 3;

  @TempDir Path root;
  private final TestCertificates oldCa = TestCertificates.authority("raftlock-old-ca");
  private final TestCertificates newCa = TestCertificates.authority("raftlock-new-ca");
  private LocalCluster cluster;
  /** Certificates naming no member ("node-9"), one of each CA, for probing the peer ports. */
  private TestCertificates.Issued oldStranger;
  private TestCertificates.Issued newStranger;

  private final AtomicBoolean running = new AtomicBoolean(true);
  private final List<Thread> load = new ArrayList<>();
  private final AtomicInteger pairs = new AtomicInteger();
  /** Fencing tokens of acknowledged acquires, per lock, in acknowledgement order. */
  private final Map<String, List<Long>> tokens = new ConcurrentHashMap<>();
  /** Every failure the application saw: an exception from lock/unlock, or an unlock that released nothing. */
  private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();

  @AfterEach
  void stop() throws InterruptedException {
    running.set(false);
    for (Thread t : load) {
      t.join(60_000);
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  private Path dir(String id) {
    return root.resolve("tls").resolve(id);
  }

  /** What the applications trust: both CAs, distributed before the rotation starts. */
  private Path clientTrust() {
    return root.resolve("clients").resolve("ca-bundle.pem");
  }

  private int peerPort(String id) {
    return cluster.config(id).members().get(id).peerAddress().port();
  }

  @Test
  void aCaRotationMemberByMemberUnderLoadLosesNothingAndServesTheNewCertificates() throws Exception {
    TestCertificates.write(clientTrust(), oldCa.caPem() + newCa.caPem());
    cluster = new LocalCluster(3, root.resolve("data"), c -> {
      TestCertificates.Issued peer = oldCa.issue(dir(c.nodeId()), "peer", c.nodeId() + "-old", c.nodeId());
      TestCertificates.Issued client = oldCa.issue(dir(c.nodeId()), "client", c.nodeId() + "-client-old",
          c.nodeId(), "localhost");
      return c.withTls(new TlsSettings(new TlsSettings.Files(client.certFile(), client.keyFile(), null),
          new TlsSettings.Files(peer.certFile(), peer.keyFile(), peer.caFile()), RELOAD_CHECK_MS));
    }).start();
    oldStranger = oldCa.issue(root.resolve("probe-old"), "peer", "node-9-old", "node-9");
    newStranger = newCa.issue(root.resolve("probe-new"), "peer", "node-9-new", "node-9");
    for (int i = 0; i < CLIENTS; i++) {
      startClient(i);
    }
    awaitProgress(10);
    long termBefore = term();

    trustBothCas();
    for (String id : cluster.ids()) {
      rotate(id);
      cluster.awaitLeader();
      awaitProgress(5);
    }
    dropTheOldCa();
    awaitProgress(10);
    running.set(false);
    for (Thread t : load) {
      t.join(60_000);
    }
    long termAfter = term();

    restartAFollowerOverTheNewCertificates();
    // A certificate of the right CA that names no member, claiming to be one, is refused by name.
    for (String id : cluster.ids()) {
      String claimed = cluster.ids().stream().filter(other -> !other.equals(id)).findFirst().orElseThrow();
      Status status = TlsProbe.refusedPeerCall(peerPort(id), newStranger, dir(id).resolve("ca.pem"), claimed, id);
      assertEquals(Status.Code.PERMISSION_DENIED, status.getCode(), id + ": " + status);
      assertTrue(status.getDescription().contains("node-9"), status.getDescription());
    }
    assertNothingLost();
    System.out.printf("CA rotation under load: %d pairs acknowledged by %d clients, %d application failures,"
        + " term %d -> %d (%d changes)%n", pairs.get(), CLIENTS, failures.size(), termBefore, termAfter,
        termAfter - termBefore);
    assertTrue(failures.isEmpty(), () -> "the application saw failures: " + failures);
    assertTrue(termAfter - termBefore <= MAX_TERM_CHANGES, "term " + termBefore + " -> " + termAfter);
  }

  /** Every member trusts both CAs: a new-CA certificate gets through the handshake (to be refused by name). */
  private void trustBothCas() {
    for (String id : cluster.ids()) {
      TestCertificates.write(dir(id).resolve("ca.pem"), oldCa.caPem() + newCa.caPem());
    }
    for (String id : cluster.ids()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> refusal(id, newStranger).getCode() == Status.Code.PERMISSION_DENIED);
    }
  }

  /** New client-port and peer certificates of the new CA for {@code id}; fresh handshakes get them. */
  private void rotate(String id) {
    X509Certificate peer = TlsProbe.leaf(newCa.issueLeaf(dir(id), "peer", id + "-new", id));
    X509Certificate client = TlsProbe.leaf(newCa.issueLeaf(dir(id), "client", id + "-client-new", id, "localhost"));
    String bundle = oldCa.caPem() + newCa.caPem();
    ReloadableTls probe = new ReloadableTls(PemMaterial.read("probe",
        new TlsSettings.Files(newStranger.certFile(), newStranger.keyFile(), null)));
    await().atMost(Duration.ofSeconds(20)).until(() -> TlsProbe.fingerprint(
        TlsProbe.served(cluster.clientPort(id), bundle, null)).equals(TlsProbe.fingerprint(client)));
    await().atMost(Duration.ofSeconds(20)).until(() -> TlsProbe.fingerprint(
        TlsProbe.served(peerPort(id), bundle, probe)).equals(TlsProbe.fingerprint(peer)));
    X509Certificate served = TlsProbe.served(cluster.clientPort(id), newCa.caPem(), null);
    assertEquals(client.getSerialNumber(), served.getSerialNumber(), id + " client port");
  }

  /** Only the new CA stays trusted: a certificate of the old one no longer gets through a handshake. */
  private void dropTheOldCa() {
    for (String id : cluster.ids()) {
      TestCertificates.write(dir(id).resolve("ca.pem"), newCa.caPem());
    }
    for (String id : cluster.ids()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> refusal(id, oldStranger).getCode() == Status.Code.UNAVAILABLE);
    }
  }

  /**
   * Established peer connections keep the sessions they opened with; a member restarted now opens
   * new ones both ways, which only the members' rotated certificates and new-only trust can carry.
   */
  private void restartAFollowerOverTheNewCertificates() {
    String restarted = cluster.follower();
    cluster.stop(restarted);
    cluster.start(restarted);
    assertOnlyTheNewCaIsTrustedByFreshClients(); // commits one more acquire and release
    long commit = cluster.node(cluster.awaitLeader()).status().commitIndex();
    await().atMost(Duration.ofSeconds(30)).until(() -> cluster.node(restarted).status().appliedIndex() >= commit);
  }

  /** A client thread acquiring and releasing its own lock until the test stops it. */
  private void startClient(int n) {
    String lock = "rotate/" + n;
    Thread t = new Thread(() -> {
      try (RaftLockClient c = client(clientTrust())) {
        while (running.get()) {
          try {
            LockHandle held = c.lock(lock, Duration.ofSeconds(30));
            tokens.computeIfAbsent(lock, k -> new CopyOnWriteArrayList<>()).add(held.token());
            if (c.unlock(held)) {
              pairs.incrementAndGet();
            } else {
              failures.add(lock + ": token " + held.token() + " was no longer held at its release");
            }
          } catch (RuntimeException e) {
            failures.add(lock + ": " + e);
          }
        }
      }
    }, "rotation-client-" + n);
    load.add(t);
    t.start();
  }

  private RaftLockClient client(Path trust) {
    String endpoints = cluster.ids().stream().map(cluster::clientAddress).collect(Collectors.joining(","));
    return RaftLockClient.builder().endpoints(endpoints).operationTimeout(Duration.ofSeconds(30))
        .tls(ClientTls.trusting(trust)).build();
  }

  private void awaitProgress(int morePairs) {
    int target = pairs.get() + morePairs;
    await().atMost(Duration.ofSeconds(60)).until(() -> pairs.get() >= target || !failures.isEmpty());
  }

  private long term() {
    return cluster.node(cluster.awaitLeader()).status().term();
  }

  /** How member {@code id}'s peer port ends a Forward claiming to come from node-1 with {@code as}. */
  private Status refusal(String id, TestCertificates.Issued as) {
    String claimed = id.equals("node-1") ? "node-2" : "node-1";
    return TlsProbe.refusedPeerCall(peerPort(id), as, clientTrust(), claimed, id);
  }

  /** Tokens of each lock only increased, and every acknowledged release took effect. */
  private void assertNothingLost() {
    assertEquals(CLIENTS, tokens.size(), "every client acquired: " + tokens.keySet());
    for (Map.Entry<String, List<Long>> e : tokens.entrySet()) {
      List<Long> t = e.getValue();
      for (int i = 1; i < t.size(); i++) {
        assertTrue(t.get(i) > t.get(i - 1), () -> e.getKey() + " tokens not increasing: " + t);
      }
    }
    try (RaftLockClient c = client(clientTrust())) {
      for (String lock : tokens.keySet()) {
        var info = RaftLockClient.await(c.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(lock).build()));
        assertFalse(info.hasLockInfo(), () -> lock + " still held after its acknowledged release: " + info);
        LockHandle again = c.lock(lock, Duration.ofSeconds(30));
        List<Long> t = tokens.get(lock);
        assertTrue(again.token() > t.get(t.size() - 1), lock + ": " + again.token() + " after " + t);
        assertTrue(c.unlock(again));
      }
    }
  }

  /** A client that trusts only the new CA works; one that trusts only the old CA gets nowhere. */
  private void assertOnlyTheNewCaIsTrustedByFreshClients() {
    Path newOnly = root.resolve("clients").resolve("new-ca.pem");
    Path oldOnly = root.resolve("clients").resolve("old-ca.pem");
    TestCertificates.write(newOnly, newCa.caPem());
    TestCertificates.write(oldOnly, oldCa.caPem());
    try (RaftLockClient fresh = client(newOnly)) {
      assertTrue(fresh.unlock(fresh.lock("rotate/fresh", Duration.ofSeconds(30))));
    }
    String endpoints = cluster.ids().stream().map(cluster::clientAddress).collect(Collectors.joining(","));
    try (RaftLockClient stale = RaftLockClient.builder().endpoints(endpoints).tls(ClientTls.trusting(oldOnly))
        .operationTimeout(Duration.ofSeconds(3)).attemptTimeout(Duration.ofMillis(500)).build()) {
      assertThrows(RuntimeException.class, () -> stale.tryLock("rotate/stale", Duration.ofSeconds(30), Duration.ZERO));
    }
  }
}
