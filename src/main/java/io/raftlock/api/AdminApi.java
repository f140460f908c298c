package io.raftlock.api;

import com.google.protobuf.UnsafeByteOperations;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.Permission;
import io.raftlock.node.LockReplica;
import io.raftlock.node.MemberDirectory;
import io.raftlock.node.MembershipException;
import io.raftlock.node.ProposalException;
import io.raftlock.node.RaftVerticle;
import io.raftlock.proto.admin.AddLearnerRequest;
import io.raftlock.proto.admin.AdminGrpcService;
import io.raftlock.proto.admin.CommittedEntry;
import io.raftlock.proto.admin.DumpCommittedRequest;
import io.raftlock.proto.admin.DumpCommittedResponse;
import io.raftlock.proto.admin.ListMembersRequest;
import io.raftlock.proto.admin.ListMembersResponse;
import io.raftlock.proto.admin.Member;
import io.raftlock.proto.admin.MembershipResponse;
import io.raftlock.proto.admin.PromoteLearnerRequest;
import io.raftlock.proto.admin.RemoveServerRequest;
import io.raftlock.proto.admin.TransferLeadershipRequest;
import io.raftlock.proto.admin.TransferLeadershipResponse;
import io.raftlock.proto.api.ErrorDetail;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Entry;
import io.raftlock.raft.RaftNode;
import io.raftlock.raft.RaftStatus;
import io.raftlock.raft.Role;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.GrpcServer;
import java.util.List;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The {@code raftlock.v1.Admin} service: membership changes and leadership transfer through the
 * Raft verticle, with the lock API's error style (a typed {@link ErrorDetail} in trailers, see
 * {@link GrpcLockService}). Followers answer NOT_LEADER with the leader's client address: admin
 * calls are rare and a redirect keeps a change's outcome on the node that decides it.
 *
 * <p>Runs on the client API's context; it reads the Raft verticle's published status and talks to
 * it only through its futures.
 */
public final class AdminApi {
  private static final Logger LOG = Logger.getLogger(AdminApi.class.getName());
  /** The Raft core's refusal (ConfigChangeResult.Status name) of a membership change. */
  public static final String REFUSAL_TRAILER = "raftlock-membership-refusal";
  static final int MAX_ID_CHARS = 128;
  /** DumpCommitted page limits: defaults and bounds of max_entries and max_bytes. */
  public static final int DUMP_DEFAULT_ENTRIES = 10_000;
  public static final int DUMP_MAX_ENTRIES = 10_000;
  public static final int DUMP_DEFAULT_BYTES = 1 << 20;
  public static final int DUMP_MAX_BYTES = 4 << 20;

  private final Vertx vertx;
  private final RaftVerticle<?> raft;
  private final long timeoutMs;
  private final long retryAfterMs;
  private ApiAuth auth = ApiAuth.OPEN;

  /**
   * @param timeoutMs bound on a change or a transfer; past it the call fails with TIMEOUT (the
   *     change may still commit)
   * @param retryAfterMs the retry hint of retryable refusals
   */
  public AdminApi(Vertx vertx, RaftVerticle<?> raft, long timeoutMs, long retryAfterMs) {
    this.vertx = vertx;
    this.raft = raft;
    this.timeoutMs = timeoutMs;
    this.retryAfterMs = retryAfterMs;
  }

  /**
   * Checks callers with {@code auth} once it is enabled: listing the members needs {@code read}
   * on every name, everything else (changes, transfers, dumps of the log, snapshots for a
   * backup) {@code admin}.
   */
  public AdminApi withAuth(ApiAuth auth) {
    this.auth = java.util.Objects.requireNonNull(auth, "auth");
    return this;
  }

  /** Binds the Admin service's methods on {@code server}. */
  public GrpcServer bind(GrpcServer server) {
    unary(server, AdminGrpcService.ListMembers, Permission.READ, this::listMembers);
    unary(server, AdminGrpcService.AddLearner, Permission.ADMIN, this::addLearner);
    unary(server, AdminGrpcService.PromoteLearner, Permission.ADMIN, this::promoteLearner);
    unary(server, AdminGrpcService.RemoveServer, Permission.ADMIN, this::removeServer);
    unary(server, AdminGrpcService.TransferLeadership, Permission.ADMIN, this::transferLeadership);
    unary(server, AdminGrpcService.DumpCommitted, Permission.ADMIN, this::dumpCommitted);
    new SnapshotApi(raft, timeoutMs, retryAfterMs).bind(server, auth);
    return server;
  }

  // ---------------------------------------------------------------- methods

  public Future<ListMembersResponse> listMembers(ListMembersRequest request) {
    RaftStatus s = raft.status();
    if (s == null) {
      return Future.failedFuture(unavailable("the node is starting"));
    }
    ListMembersResponse.Builder b = ListMembersResponse.newBuilder()
        .setNodeId(s.nodeId())
        .setLeaderId(orEmpty(s.leaderId()))
        .setLeaderAddress(clientAddress(s.leaderId()))
        .setCommitIndex(s.commitIndex())
        .setRemoved(s.removed())
        .addAllMembers(members(s.config(), s));
    return Future.succeededFuture(b.build());
  }

  public Future<MembershipResponse> addLearner(AddLearnerRequest r) {
    return validated(() -> {
      check(id("id", r.getId()));
      check(address("peer_address", r.getPeerAddress()));
      check(address("client_address", r.getClientAddress()));
    }).compose(v -> change(() -> raft.addLearner(r.getId(), r.getPeerAddress(), r.getClientAddress())));
  }

  public Future<MembershipResponse> promoteLearner(PromoteLearnerRequest r) {
    return validated(() -> {
      check(id("id", r.getId()));
      if (r.getMinIndex() < 0) {
        check(ValidationError.invalid("min_index", "must be ≥ 0, got " + r.getMinIndex()));
      }
      if (r.getMinIndex() == 0 && !r.getForce()) {
        check(ValidationError.invalid("min_index",
            "must be > 0 (the learner's catch-up index), or 0 with force"));
      }
    }).compose(v -> change(() -> raft.promoteLearner(r.getId(), r.getMinIndex(), r.getForce())));
  }

  public Future<MembershipResponse> removeServer(RemoveServerRequest r) {
    return validated(() -> check(id("id", r.getId())))
        .compose(v -> {
          RaftStatus s = raft.status();
          if (r.getTransferFirst() && s != null && s.role() == Role.LEADER && r.getId().equals(s.nodeId())) {
            // Hand over, then send the caller to the new leader, which removes this node as a
            // follower: no election, and nothing about the removal itself changes.
            return raft.transferLeadership(null).compose(st -> st == RaftNode.TransferStatus.STARTED
                ? awaitNewLeader().compose(t -> Future.<MembershipResponse>failedFuture(notLeader(raft.status())))
                : Future.failedFuture(new ApiException(ApiMapper.error(new ValidationError("id",
                    ErrorCode.INVALID_ARGUMENT, "no other voter can take over: " + st)), GrpcStatus.FAILED_PRECONDITION)));
          }
          return change(() -> raft.removeServer(r.getId()));
        });
  }

  /**
   * Starts the transfer on the leader and completes once another node leads (or with this node
   * when it was asked to transfer to itself).
   */
  public Future<TransferLeadershipResponse> transferLeadership(TransferLeadershipRequest r) {
    return validated(() -> {
      if (!r.getId().isEmpty()) {
        check(id("id", r.getId()));
      }
    }).compose(v -> {
      RaftStatus before = raft.status();
      refuseIfFollower(before);
      return raft.transferLeadership(r.getId().isEmpty() ? null : r.getId());
    }).compose(st -> switch (st) {
      case ALREADY_LEADER -> Future.succeededFuture(transferred(raft.status().nodeId()));
      case NOT_LEADER -> Future.failedFuture(notLeader(raft.status()));
      case NOT_A_VOTER -> Future.failedFuture(new ApiException(ApiMapper.error(
          ValidationError.invalid("id", "is not a voter of the configuration in force")),
          GrpcStatus.FAILED_PRECONDITION));
      case STARTED -> awaitNewLeader();
    });
  }

  /**
   * One page of this node's committed log (any member answers: a dump is of the node asked). The
   * header and the entries come from one turn of the Raft context; the page limits keep that
   * turn short, and the protobuf encoding happens here, off the Raft context.
   */
  public Future<DumpCommittedResponse> dumpCommitted(DumpCommittedRequest r) {
    return validated(() -> {
      if (r.getFrom() < 0) {
        check(ValidationError.invalid("from", "must be ≥ 0, got " + r.getFrom()));
      }
      if (r.getTo() < 0) {
        check(ValidationError.invalid("to", "must be ≥ 0 (0: the commit index), got " + r.getTo()));
      }
      if (r.getMaxEntries() < 0 || r.getMaxEntries() > DUMP_MAX_ENTRIES) {
        check(ValidationError.invalid("max_entries",
            "must be in 0.." + DUMP_MAX_ENTRIES + " (0: " + DUMP_DEFAULT_ENTRIES + "), got " + r.getMaxEntries()));
      }
      if (r.getMaxBytes() < 0 || r.getMaxBytes() > DUMP_MAX_BYTES) {
        check(ValidationError.invalid("max_bytes",
            "must be in 0.." + DUMP_MAX_BYTES + " (0: " + DUMP_DEFAULT_BYTES + "), got " + r.getMaxBytes()));
      }
    }).compose(v -> {
      if (raft.status() == null) {
        return Future.failedFuture(unavailable("the node is starting"));
      }
      long to = r.getTo() == 0 ? Long.MAX_VALUE : r.getTo();
      int maxEntries = r.getMaxEntries() == 0 ? DUMP_DEFAULT_ENTRIES : r.getMaxEntries();
      int maxBytes = r.getMaxBytes() == 0 ? DUMP_DEFAULT_BYTES : r.getMaxBytes();
      // Encoded below on this (the admin API's) context, not on the Raft loop that answers.
      return CallerContext.back(raft.committedPage(r.getFrom(), to, maxEntries, maxBytes,
          sm -> sm instanceof LockReplica lr ? lr.stateMachine().stateHash() : null));
    }).map(page -> {
      DumpCommittedResponse.Builder b = DumpCommittedResponse.newBuilder()
          .setNodeId(page.nodeId())
          .setFirstIndex(page.firstIndex())
          .setCommitIndex(page.commitIndex())
          .setAppliedIndex(page.appliedIndex())
          .setStateHash(page.state() == null ? "" : String.format("%016x", page.state()));
      for (Entry e : page.entries()) {
        // Entries are immutable (their data is never written after construction): no copy.
        b.addEntries(CommittedEntry.newBuilder().setIndex(e.index()).setTerm(e.term())
            .setType(e.type().name()).setData(UnsafeByteOperations.unsafeWrap(e.data())));
      }
      long end = Math.min(r.getTo() == 0 ? Long.MAX_VALUE : r.getTo(), page.commitIndex());
      List<Entry> entries = page.entries();
      long lastSent = entries.isEmpty() ? 0 : entries.get(entries.size() - 1).index();
      b.setNextFrom(!entries.isEmpty() && lastSent < end ? lastSent + 1 : 0);
      return b.build();
    }).recover(e -> Future.failedFuture(e instanceof ProposalException
        ? unavailable("the node is stopping") : toApi(e)));
  }

  // ---------------------------------------------------------------- internals

  private Future<MembershipResponse> change(java.util.function.Supplier<Future<ClusterConfig>> call) {
    try {
      refuseIfFollower(raft.status());
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
    return withTimeout(call.get())
        .map(config -> MembershipResponse.newBuilder()
            .addAllMembers(members(config, raft.status())).build())
        .recover(e -> Future.failedFuture(toApi(e)));
  }

  /** Polls the published status each few milliseconds until another node leads. */
  private Future<TransferLeadershipResponse> awaitNewLeader() {
    Promise<TransferLeadershipResponse> done = Promise.promise();
    String self = raft.status().nodeId();
    long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
    vertx.setPeriodic(5, id -> {
      RaftStatus s = raft.status();
      if (s.role() != Role.LEADER && s.leaderId() != null && !s.leaderId().equals(self)) {
        vertx.cancelTimer(id);
        done.tryComplete(transferred(s.leaderId()));
      } else if (System.nanoTime() > deadline) {
        vertx.cancelTimer(id);
        done.tryFail(new ApiException(ApiMapper.retryable(ErrorCode.TIMEOUT,
            "the transfer did not complete in " + timeoutMs + " ms; leadership may or may not have moved",
            retryAfterMs * 1_000_000L), ApiMapper.grpcStatus(ErrorCode.TIMEOUT)));
      }
    });
    return done.future();
  }

  private TransferLeadershipResponse transferred(String leader) {
    return TransferLeadershipResponse.newBuilder()
        .setLeaderId(leader).setLeaderAddress(clientAddress(leader)).build();
  }

  private <T> Future<T> withTimeout(Future<T> f) {
    Promise<T> p = Promise.promise();
    long timer = vertx.setTimer(timeoutMs, t -> p.tryFail(new ApiException(ApiMapper.retryable(
        ErrorCode.TIMEOUT, "the change did not commit in " + timeoutMs + " ms; it may still commit",
        retryAfterMs * 1_000_000L), ApiMapper.grpcStatus(ErrorCode.TIMEOUT))));
    f.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete(ar.result());
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  private void refuseIfFollower(RaftStatus s) {
    if (s == null || s.role() != Role.LEADER) {
      throw notLeader(s);
    }
  }

  private ApiException notLeader(RaftStatus s) {
    if (s == null || s.leaderId() == null || s.leaderId().equals(s.nodeId())) {
      return new ApiException(ApiMapper.retryable(ErrorCode.NO_LEADER,
          "no leader is known (an election is under way); nothing was changed",
          retryAfterMs * 1_000_000L), GrpcStatus.UNAVAILABLE);
    }
    return new ApiException(ApiMapper.notLeader(s.leaderId(), clientAddress(s.leaderId())),
        ApiMapper.grpcStatus(ErrorCode.NOT_LEADER));
  }

  /** Maps the verticle's failures to the API's typed errors. */
  ApiException toApi(Throwable e) {
    if (e instanceof ApiException a) {
      return a;
    }
    if (e instanceof MembershipException m) {
      return refusal(m);
    }
    if (e instanceof ProposalException p && p.retryable()) {
      return new ApiException(ApiMapper.retryable(ErrorCode.UNAVAILABLE,
          "the change's outcome is unknown (" + p.reason() + "); list the members and retry if needed",
          retryAfterMs * 1_000_000L), GrpcStatus.UNAVAILABLE);
    }
    LOG.log(Level.WARNING, "admin call failed", e);
    return new ApiException(ApiMapper.error(ErrorCode.INTERNAL_ERROR, "internal error"), GrpcStatus.INTERNAL);
  }

  /** One refusal of the Raft core: nothing was appended. */
  ApiException refusal(MembershipException m) {
    ErrorDetail.Builder d;
    GrpcStatus status;
    switch (m.status()) {
      case NOT_LEADER -> {
        return m.leaderHint() == null
            ? notLeader(null)
            : new ApiException(ApiMapper.notLeader(m.leaderHint(), clientAddress(m.leaderHint())).toBuilder()
                .putDetails("refusal", m.status().name()).build(), GrpcStatus.UNAVAILABLE);
      }
      case LEADERSHIP_TRANSFER, LEADER_NOT_READY, CHANGE_IN_PROGRESS, LEARNER_BEHIND -> {
        d = ApiMapper.retryable(ErrorCode.UNAVAILABLE, describe(m), retryAfterMs * 1_000_000L).toBuilder();
        status = GrpcStatus.UNAVAILABLE;
      }
      case INVALID_ID -> {
        d = ApiMapper.error(ValidationError.invalid("id", "must be a non-blank id")).toBuilder();
        status = GrpcStatus.INVALID_ARGUMENT;
      }
      case MIN_INDEX_REQUIRED -> {
        d = ApiMapper.error(ValidationError.invalid("min_index", "must be > 0 unless forced")).toBuilder();
        status = GrpcStatus.INVALID_ARGUMENT;
      }
      default -> { // ALREADY_MEMBER, NOT_A_MEMBER, NOT_A_LEARNER, LAST_VOTER
        d = ApiMapper.error(new ValidationError("id", ErrorCode.INVALID_ARGUMENT, describe(m))).toBuilder();
        status = GrpcStatus.FAILED_PRECONDITION;
      }
    }
    return new ApiException(d.putDetails("refusal", m.status().name()).build(), status);
  }

  private static String describe(MembershipException m) {
    return switch (m.status()) {
      case LEADERSHIP_TRANSFER -> "the leader is handing leadership over; retry shortly";
      case LEADER_NOT_READY -> "the new leader has not committed an entry of its term yet; retry shortly";
      case CHANGE_IN_PROGRESS -> "another membership change is still uncommitted; one change at a time";
      case LEARNER_BEHIND -> "the learner has not caught up to min_index yet; retry later";
      case ALREADY_MEMBER -> "id is already a member";
      case NOT_A_MEMBER -> "id is not a member";
      case NOT_A_LEARNER -> "id is not a learner (already a voter)";
      case LAST_VOTER -> "id is the last voter; removing it would leave no one to elect";
      default -> m.status().name();
    };
  }

  private List<Member> members(ClusterConfig config, RaftStatus s) {
    if (config == null) {
      return List.of();
    }
    MemberDirectory book = raft.directory();
    return config.members().stream().map(id -> {
      MemberDirectory.Addresses a = book == null ? null : book.get(id);
      long match = 0;
      if (s != null && s.role() == Role.LEADER) {
        RaftStatus.PeerStatus p = s.peers() == null ? null : s.peers().get(id);
        match = id.equals(s.nodeId()) ? s.lastIndex() : p == null ? 0 : p.matchIndex();
      }
      return Member.newBuilder()
          .setId(id)
          .setRole(config.isVoter(id) ? "VOTER" : "LEARNER")
          .setPeerAddress(a == null ? "" : a.peerAddress())
          .setClientAddress(a == null || a.clientAddress() == null ? "" : a.clientAddress())
          .setLeader(s != null && id.equals(s.leaderId()))
          .setMatchIndex(match)
          .build();
    }).toList();
  }

  private String clientAddress(String id) {
    MemberDirectory book = raft.directory();
    MemberDirectory.Addresses a = book == null || id == null ? null : book.get(id);
    return a == null || a.clientAddress() == null ? "" : a.clientAddress();
  }

  private ApiException unavailable(String message) {
    return new ApiException(ApiMapper.retryable(ErrorCode.UNAVAILABLE, message, retryAfterMs * 1_000_000L),
        GrpcStatus.UNAVAILABLE);
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  // ---------------------------------------------------------------- validation

  private static Future<Void> validated(Runnable checks) {
    try {
      checks.run();
      return Future.succeededFuture();
    } catch (ApiException e) {
      return Future.failedFuture(e);
    }
  }

  private static void check(ValidationError e) {
    if (e != null) {
      throw new ApiException(ApiMapper.error(e), GrpcStatus.INVALID_ARGUMENT);
    }
  }

  /** A server id: 1..128 chars, no control characters, no whitespace. */
  static ValidationError id(String field, String value) {
    ValidationError e = FieldChecks.id(field, value, MAX_ID_CHARS);
    if (e != null) {
      return e;
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isWhitespace(value.charAt(i))) {
        return ValidationError.invalid(field, "must not contain whitespace (at " + i + ")");
      }
    }
    return null;
  }

  /** {@code host:port} with a port in 1..65535. */
  static ValidationError address(String field, String value) {
    if (value.isEmpty()) {
      return ValidationError.invalid(field, "is required (host:port)");
    }
    ValidationError e = FieldChecks.text(field, value, 255, false);
    if (e != null) {
      return e;
    }
    int colon = value.lastIndexOf(':');
    if (colon <= 0 || colon == value.length() - 1) {
      return ValidationError.invalid(field, "must be host:port, got '" + value + "'");
    }
    for (int i = 0; i < colon; i++) {
      if (Character.isWhitespace(value.charAt(i))) {
        return ValidationError.invalid(field, "must be host:port, got '" + value + "'");
      }
    }
    try {
      int port = Integer.parseInt(value.substring(colon + 1));
      if (port < 1 || port > 65_535) {
        return ValidationError.invalid(field, "port must be in 1..65535, got " + port);
      }
    } catch (NumberFormatException ex) {
      return ValidationError.invalid(field, "must be host:port with a numeric port, got '" + value + "'");
    }
    return null;
  }

  /**
   * Unary calls as the lock service answers them, plus the membership refusal as a trailer; the
   * caller needs {@code needed} on every name.
   */
  private <Q, R> void unary(GrpcServer server, ServiceMethod<Q, R> method, Permission needed,
      Function<Q, Future<R>> handler) {
    GrpcLockService.unary(server, method, (headers, msg) -> {
      auth.require(auth.authenticate(headers.get(GrpcLockService.AUTHORIZATION)), needed, "");
      return handler.apply(msg);
    }, (response, e) -> {
      String refusal = e.detail().getDetailsMap().get("refusal");
      if (refusal != null) {
        response.trailers().set(REFUSAL_TRAILER, refusal);
      }
    });
  }
}
