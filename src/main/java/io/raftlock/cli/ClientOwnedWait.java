package io.raftlock.cli;

import io.raftlock.client.RaftLockClient;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.LockInfo;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * {@code acquire --wait}: a lock owned by the client id (not by a session), so that it outlives
 * the command with its own lease and {@code release --client-id} can give it back. The command
 * joins the wait queue with a plain acquire ({@code wait_timeout} = {@code --wait-timeout}) and
 * then reads the lock until the grant shows it as the owner: the command has no stream for the
 * grant to be pushed on, and lives for one wait at most.
 */
final class ClientOwnedWait {
  /** How often the lock is read while waiting. */
  static final long POLL_MS = 100;
  /** Read once more this long after the wait timeout: a grant racing with the timeout is still ours. */
  static final long GRACE_MS = 1_000;

  private ClientOwnedWait() {}

  /** The token of the grant, or empty when it was not granted in time (or interrupted); refusals throw. */
  static OptionalLong acquire(RaftLockClient client, String clientId, String name, java.time.Duration ttl,
      java.time.Duration waitTimeout, int priority, Map<String, String> meta) {
    java.time.Duration serverWait = waitTimeout.compareTo(java.time.Duration.ofSeconds(1)) < 0
        ? java.time.Duration.ofSeconds(1) : waitTimeout;
    AcquireResponse r = RaftLockClient.await(client.acquire(AcquireRequest.newBuilder().setLockId(name)
        .setClientId(clientId).setTtl(Output.proto(ttl)).setWait(true).setWaitTimeout(Output.proto(serverWait))
        .setPriority(priority).putAllMetadata(meta).build()));
    if (r.getAcquired()) {
      return OptionalLong.of(r.getLock().getVersion());
    }
    if (!r.getQueued()) {
      return OptionalLong.empty();
    }
    long endNanos = System.nanoTime() + serverWait.toNanos() + TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
    while (System.nanoTime() - endNanos < 0) {
      LockInfo info = RaftLockClient.await(client.getLockInfo(GetLockInfoRequest.newBuilder().setLockId(name).build()))
          .getLockInfo();
      if (clientId.equals(info.getOwnerId()) && info.getVersion() > 0) {
        return OptionalLong.of(info.getVersion());
      }
      try {
        TimeUnit.MILLISECONDS.sleep(POLL_MS); // the command's own thread, not an event loop
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return OptionalLong.empty();
      }
    }
    return OptionalLong.empty();
  }
}
