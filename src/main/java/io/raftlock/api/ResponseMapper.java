package io.raftlock.api;

import static io.raftlock.api.ApiMapper.durationOfMillis;
import static io.raftlock.api.ApiMapper.timestampOfMillis;

import io.raftlock.lock.BackoffAdvice;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockEvent;
import io.raftlock.lock.LockInfo;
import io.raftlock.lock.LockPage;
import io.raftlock.lock.LockReply;
import io.raftlock.lock.LockStats;
import io.raftlock.lock.SessionInfo;
import io.raftlock.lock.WaiterInfo;
import io.raftlock.raft.RaftStatus;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.AcquireResponse;
import io.raftlock.proto.api.BackoffAdviceResponse;
import io.raftlock.proto.api.CancelWaitResponse;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.EnqueueWaiterResponse;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.proto.api.GetLockInfoResponse;
import io.raftlock.proto.api.GetLocksResponse;
import io.raftlock.proto.api.Lock;
import io.raftlock.proto.api.LockEventMessage;
import io.raftlock.proto.api.LockManagerStats;
import io.raftlock.proto.api.PeerState;
import io.raftlock.proto.api.ReleaseResponse;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.RenewResponse;
import java.util.Optional;

/**
 * State-machine replies, query results and events to wire responses. Pure functions.
 *
 * <p>A reply of a kind the method cannot produce (e.g. {@code Renewed} for an Acquire) maps to
 * {@code INTERNAL_ERROR}: it means a bug in the node, and the client must not read it as success.
 */
public final class ResponseMapper {
  private ResponseMapper() {}

  /**
   * {@code Granted} (the lock's metadata is echoed from the request: the reply does not carry it),
   * {@code Queued}, or an error with the backoff advice of LOCK_HELD / WAIT_QUEUE_FULL.
   */
  public static AcquireResponse acquire(AcquireRequest req, LockReply reply) {
    AcquireResponse.Builder b = AcquireResponse.newBuilder();
    if (reply instanceof LockReply.Granted g) {
      return b.setAcquired(true)
          .setLock(lock(req.getLockId(), req.getClientId(), g).putAllMetadata(req.getMetadataMap()))
          .build();
    } else if (reply instanceof LockReply.Queued q) {
      return b.setQueued(true)
          .setQueuePosition(q.position())
          .setEstimatedWaitDuration(durationOfMillis(q.estimatedWaitMs()))
          .build();
    } else if (reply instanceof LockReply.Error e && e.backoff() != null) {
      b.setBackoffAdvice(backoffAdvice(e.backoff()));
    }
    return b.setError(error(reply)).build();
  }

  public static ReleaseResponse release(LockReply reply) {
    if (reply instanceof LockReply.Released r) {
      return ReleaseResponse.newBuilder().setReleased(true).setWaiterPromoted(r.waiterPromoted()).build();
    }
    return ReleaseResponse.newBuilder().setError(error(reply)).build();
  }

  /** {@code Renewed}: lock_id, owner_id, version (unchanged by renew) and the new expiry. */
  public static RenewResponse renew(RenewRequest req, LockReply reply) {
    if (reply instanceof LockReply.Renewed r) {
      Lock lock = Lock.newBuilder()
          .setLockId(req.getLockId())
          .setOwnerId(req.getClientId())
          .setVersion(req.getVersion())
          .setExpiresAt(timestampOfMillis(r.expiresAtMs()))
          .build();
      return RenewResponse.newBuilder().setRenewed(true).setLock(lock).build();
    }
    return RenewResponse.newBuilder().setError(error(reply)).build();
  }

  /** {@code Queued}; {@code Granted} when the caller already holds the lock; or an error. */
  public static EnqueueWaiterResponse enqueueWaiter(EnqueueWaiterRequest req, LockReply reply) {
    EnqueueWaiterResponse.Builder b = EnqueueWaiterResponse.newBuilder();
    if (reply instanceof LockReply.Queued q) {
      return b.setEnqueued(true)
          .setPosition(q.position())
          .setEstimatedWaitDuration(durationOfMillis(q.estimatedWaitMs()))
          .build();
    } else if (reply instanceof LockReply.Granted g) {
      return b.setLock(lock(req.getLockId(), req.getClientId(), g)).build();
    }
    return b.setError(error(reply)).build();
  }

  public static CancelWaitResponse cancelWait(LockReply reply) {
    if (reply instanceof LockReply.Cancelled) {
      return CancelWaitResponse.newBuilder().setCancelled(true).build();
    }
    return CancelWaitResponse.newBuilder().setError(error(reply)).build();
  }

  /** A held lock, or LOCK_NOT_FOUND when the state machine has no such lock (it is free). */
  public static GetLockInfoResponse lockInfo(
      String lockId, Optional<LockInfo> info, boolean includeWaiters) {
    if (info.isPresent()) {
      return GetLockInfoResponse.newBuilder().setLockInfo(lockInfo(info.get(), includeWaiters)).build();
    }
    return GetLockInfoResponse.newBuilder()
        .setError(ApiMapper.error(ErrorCode.LOCK_NOT_FOUND, "lock " + lockId + " is not held"))
        .build();
  }

  public static GetLocksResponse locks(LockPage page, boolean includeWaiters) {
    GetLocksResponse.Builder b = GetLocksResponse.newBuilder()
        .setTotalMatchingFilter(page.total())
        .setHasMore(page.hasMore());
    for (LockInfo info : page.locks()) {
      b.addLocks(lockInfo(info, includeWaiters));
    }
    return b.build();
  }

  /**
   * The state machine does not track a separate last-modified time; {@code last_modified_at} is
   * the acquisition time.
   */
  public static io.raftlock.proto.api.LockInfo lockInfo(LockInfo info, boolean includeWaiters) {
    io.raftlock.proto.api.LockInfo.Builder b = io.raftlock.proto.api.LockInfo.newBuilder()
        .setLockId(info.lockId())
        .setOwnerId(info.ownerId())
        .setVersion(info.token())
        .setAcquiredAt(timestampOfMillis(info.acquiredAtMs()))
        .setExpiresAt(timestampOfMillis(info.expiresAtMs()))
        .setWaiterCount(info.waiterCount())
        .putAllMetadata(info.metadata())
        .setLastModifiedAt(timestampOfMillis(info.acquiredAtMs()));
    if (includeWaiters) {
      for (WaiterInfo w : info.waiters()) {
        b.addWaitersInfo(io.raftlock.proto.api.WaiterInfo.newBuilder()
            .setClientId(w.clientId())
            .setEnqueuedAt(timestampOfMillis(w.enqueuedAtMs()))
            .setTimeoutAt(timestampOfMillis(w.timeoutAtMs()))
            .setPriority(w.priority())
            .setPosition(w.position()));
      }
    }
    return b.build();
  }

  public static io.raftlock.proto.api.BackoffAdvice backoffAdvice(BackoffAdvice a) {
    return io.raftlock.proto.api.BackoffAdvice.newBuilder()
        .setInitialBackoff(durationOfMillis(a.initialBackoffMs()))
        .setMaxBackoff(durationOfMillis(a.maxBackoffMs()))
        .setMultiplier(a.multiplier())
        .setJitterFactor(a.jitterFactor())
        .setEstimatedAvailabilityIn(durationOfMillis(a.estimatedAvailabilityInMs()))
        .build();
  }

  public static BackoffAdviceResponse backoffAdviceResponse(BackoffAdvice a) {
    return BackoffAdviceResponse.newBuilder().setAdvice(backoffAdvice(a)).build();
  }

  /**
   * Gauges and cumulative counters. Rates and the per-period expiry count need two readings over
   * time; the node fills them, this mapping leaves them 0.
   */
  public static LockManagerStats stats(LockStats s) {
    return LockManagerStats.newBuilder()
        .setActiveLocksCount(s.activeLocks())
        .setTotalWaitersCount(s.waiters())
        .setContestedLocksCount(s.contestedLocks())
        .setAverageHoldDuration(durationOfMillis(s.averageHoldMs()))
        .setTotalAcquires(s.acquires())
        .setTotalReleases(s.releases())
        .setTotalExpirations(s.expirations())
        .setTotalWaitTimeouts(s.waitTimeouts())
        .setTotalWaitCancels(s.waitCancels())
        .build();
  }

  /**
   * A node's Raft status. Replication details (leader only) when asked for; the lag of a peer is
   * the leader's last index minus the peer's match index. {@code snapshot_term} is not tracked.
   */
  public static io.raftlock.proto.api.RaftStatus raftStatus(RaftStatus s, boolean replication) {
    io.raftlock.proto.api.RaftStatus.Builder b = io.raftlock.proto.api.RaftStatus.newBuilder()
        .setNodeId(s.nodeId())
        .setRole(s.role().name())
        .setTerm(s.term())
        .setLeaderId(s.leaderId() == null ? "" : s.leaderId())
        .setLastLogIndex(s.lastIndex())
        .setLastLogTerm(s.lastTerm())
        .setCommitIndex(s.commitIndex())
        .setLastApplied(s.appliedIndex())
        .setSnapshotIndex(s.snapshotIndex())
        .setPersistedIndex(s.persistedIndex())
        .setCommitTerm(s.commitTerm());
    if (replication && s.peers() != null) {
      s.peers().forEach((id, p) -> b.putReplication(id, PeerState.newBuilder()
          .setNextIndex(p.nextIndex())
          .setMatchIndex(p.matchIndex())
          .setIsActive(p.recentActive())
          .setSnapshotInProgress("SNAPSHOT".equals(p.state()))
          .setReplicationLag(Math.max(0, s.lastIndex() - p.matchIndex()))
          .setState(p.state())
          .setInflight(p.inflight())
          .build()));
    }
    return b.build();
  }

  /**
   * One pushed event; {@code version} is the fencing token (0 for waiter events), session_id the
   * owning session (0, not sent, for client-owned events: Watch streams see no other).
   */
  public static LockEventMessage event(LockEvent e) {
    LockEventMessage.Builder b = LockEventMessage.newBuilder()
        .setLockId(e.lockId())
        .setClientId(e.clientId())
        .setVersion(e.token())
        .setLogIndex(e.index());
    if (e instanceof LockEvent.Granted) {
      b.setKind(LockEventMessage.Kind.GRANTED);
    } else if (e instanceof LockEvent.Queued q) {
      b.setKind(LockEventMessage.Kind.QUEUED).setQueuePosition(q.position());
    } else if (e instanceof LockEvent.Released) {
      b.setKind(LockEventMessage.Kind.RELEASED);
    } else if (e instanceof LockEvent.Expired) {
      b.setKind(LockEventMessage.Kind.EXPIRED);
    } else if (e instanceof LockEvent.WaitTimedOut) {
      b.setKind(LockEventMessage.Kind.WAIT_TIMED_OUT);
    } else if (e instanceof LockEvent.WaitCancelled) {
      b.setKind(LockEventMessage.Kind.WAIT_CANCELLED);
    } else if (e instanceof LockEvent.SessionExpired) {
      b.setKind(LockEventMessage.Kind.SESSION_EXPIRED);
    } else if (e instanceof LockEvent.SessionClosed) {
      b.setKind(LockEventMessage.Kind.SESSION_CLOSED);
    }
    return b.setSessionId(e.sessionId()).build();
  }

  /** The first message of a Watch stream: events applied after {@code appliedIndex} follow. */
  public static LockEventMessage watchStarted(String clientId, long appliedIndex) {
    return LockEventMessage.newBuilder()
        .setKind(LockEventMessage.Kind.WATCH_STARTED)
        .setClientId(clientId)
        .setLogIndex(appliedIndex)
        .build();
  }

  /** The node's warning that session {@code s} ends at its committed deadline unless kept alive. */
  static LockEventMessage sessionExpiring(SessionInfo s) {
    return LockEventMessage.newBuilder()
        .setKind(LockEventMessage.Kind.SESSION_EXPIRING)
        .setClientId(s.name())
        .setSessionId(s.sessionId())
        .setExpiresAt(timestampOfMillis(s.expiresAtMs()))
        .build();
  }

  /** The error detail of a non-success reply (INTERNAL_ERROR for a success of the wrong kind). */
  static ErrorDetail error(LockReply reply) {
    if (reply instanceof LockReply.Error e) {
      return ApiMapper.error(e.code(), e.message());
    }
    return ApiMapper.error(ErrorCode.INTERNAL_ERROR, "unexpected reply " + reply);
  }

  private static Lock.Builder lock(String lockId, String clientId, LockReply.Granted g) {
    return Lock.newBuilder()
        .setLockId(lockId)
        .setOwnerId(clientId)
        .setVersion(g.token())
        .setAcquiredAt(timestampOfMillis(g.acquiredAtMs()))
        .setExpiresAt(timestampOfMillis(g.expiresAtMs()));
  }
}
