package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.node.MembershipException;
import io.raftlock.node.ProposalException;
import io.raftlock.node.RaftVerticle;
import io.raftlock.proto.admin.AddLearnerRequest;
import io.raftlock.proto.admin.DumpCommittedRequest;
import io.raftlock.proto.admin.PromoteLearnerRequest;
import io.raftlock.proto.admin.RemoveServerRequest;
import io.raftlock.proto.api.ErrorCode;
import io.raftlock.raft.ConfigChangeResult.Status;
import io.vertx.core.Future;
import io.vertx.grpc.common.GrpcStatus;
import org.junit.jupiter.api.Test;

/**
 * The Admin service's edge: validation names the field and reaches nothing (the verticle here
 * was never started, so any call past validation would fail otherwise), and each refusal of the
 * Raft core maps to a typed error.
 */
class AdminApiTest {
  /** Never deployed: validation must refuse before touching it. */
  private final RaftVerticle<?> raft = new RaftVerticle<>(null, null, null, null, e -> {});
  private final AdminApi api = new AdminApi(null, raft, 1_000, 100);

  private static ApiException refused(Future<?> f) {
    assertTrue(f.failed(), () -> "expected a refusal, got " + f);
    return assertInstanceOf(ApiException.class, f.cause());
  }

  private static void invalid(Future<?> f, String field) {
    ApiException e = refused(f);
    assertEquals(GrpcStatus.INVALID_ARGUMENT, e.status());
    assertEquals(ErrorCode.INVALID_ARGUMENT, e.detail().getCode());
    assertEquals(field, e.detail().getDetailsMap().get("field"));
  }

  @Test
  void badIdsAndAddressesAreRefusedNamingTheField() {
    AddLearnerRequest ok = AddLearnerRequest.newBuilder().setId("node-4")
        .setPeerAddress("10.0.0.4:7004").setClientAddress("10.0.0.4:8004").build();
    invalid(api.addLearner(ok.toBuilder().setId("").build()), "id");
    invalid(api.addLearner(ok.toBuilder().setId("node 4").build()), "id");
    invalid(api.addLearner(ok.toBuilder().setId("x".repeat(129)).build()), "id");
    invalid(api.addLearner(ok.toBuilder().setId("n\u0001").build()), "id");
    invalid(api.addLearner(ok.toBuilder().setPeerAddress("").build()), "peer_address");
    invalid(api.addLearner(ok.toBuilder().setPeerAddress("host").build()), "peer_address");
    invalid(api.addLearner(ok.toBuilder().setPeerAddress("host:0").build()), "peer_address");
    invalid(api.addLearner(ok.toBuilder().setPeerAddress("host:99999").build()), "peer_address");
    invalid(api.addLearner(ok.toBuilder().setPeerAddress(":80").build()), "peer_address");
    invalid(api.addLearner(ok.toBuilder().setClientAddress("a b:80").build()), "client_address");
    invalid(api.promoteLearner(PromoteLearnerRequest.newBuilder().setId("node-4").build()), "min_index");
    invalid(api.promoteLearner(PromoteLearnerRequest.newBuilder().setId("node-4").setMinIndex(-1).build()), "min_index");
    invalid(api.removeServer(RemoveServerRequest.getDefaultInstance()), "id");
  }

  @Test
  void badDumpPagesAreRefusedNamingTheFieldBeforeReachingTheNode() {
    DumpCommittedRequest ok = DumpCommittedRequest.getDefaultInstance();
    invalid(api.dumpCommitted(ok.toBuilder().setFrom(-1).build()), "from");
    invalid(api.dumpCommitted(ok.toBuilder().setFrom(Long.MIN_VALUE).build()), "from");
    invalid(api.dumpCommitted(ok.toBuilder().setTo(-1).build()), "to");
    invalid(api.dumpCommitted(ok.toBuilder().setMaxEntries(-1).build()), "max_entries");
    invalid(api.dumpCommitted(ok.toBuilder().setMaxEntries(AdminApi.DUMP_MAX_ENTRIES + 1).build()), "max_entries");
    invalid(api.dumpCommitted(ok.toBuilder().setMaxBytes(AdminApi.DUMP_MAX_BYTES + 1).build()), "max_bytes");
    // Past validation, a node that has not started answers as unavailable.
    ApiException e = refused(api.dumpCommitted(ok.toBuilder().setFrom(5).setMaxEntries(AdminApi.DUMP_MAX_ENTRIES)
        .setMaxBytes(AdminApi.DUMP_MAX_BYTES).build()));
    assertEquals(GrpcStatus.UNAVAILABLE, e.status());
  }

  @Test
  void validRequestsPassValidation() {
    assertNull(AdminApi.id("id", "node-4"));
    assertNull(AdminApi.address("peer_address", "[::1]:7001"));
    assertNull(AdminApi.address("peer_address", "raft-4.example.com:7004"));
    // Past validation, a node that has not started has no status: the call fails as unavailable.
    ApiException e = refused(api.removeServer(RemoveServerRequest.newBuilder().setId("node-4").build()));
    assertEquals(GrpcStatus.UNAVAILABLE, e.status());
  }

  @Test
  void everyRefusalMapsToATypedError() {
    for (Status s : Status.values()) {
      if (s == Status.ACCEPTED) {
        continue;
      }
      MembershipException m = new MembershipException(s, s == Status.NOT_LEADER ? "node-2" : null);
      ApiException e = api.toApi(m);
      assertEquals(s.name(), e.detail().getDetailsMap().get("refusal"), s::name);
      boolean retryable = e.status() == GrpcStatus.UNAVAILABLE;
      // The core's retryable refusals are retryable on the wire; LEARNER_BEHIND too (it catches up).
      assertEquals(m.retryable() || s == Status.LEARNER_BEHIND, retryable, s::name);
      switch (s) {
        case NOT_LEADER -> {
          assertEquals(ErrorCode.NOT_LEADER, e.detail().getCode());
          assertEquals("node-2", e.detail().getLeaderId());
        }
        case INVALID_ID -> assertEquals("id", e.detail().getDetailsMap().get("field"));
        case MIN_INDEX_REQUIRED -> assertEquals("min_index", e.detail().getDetailsMap().get("field"));
        case ALREADY_MEMBER, NOT_A_MEMBER, NOT_A_LEARNER, LAST_VOTER ->
            assertEquals(GrpcStatus.FAILED_PRECONDITION, e.status(), s::name);
        default -> assertTrue(e.detail().hasRetryAfter(), s::name);
      }
    }
  }

  @Test
  void lostLeadershipIsRetryableWithAnUnknownOutcome() {
    ApiException e = api.toApi(new ProposalException(ProposalException.Reason.LEADERSHIP_LOST, null));
    assertEquals(GrpcStatus.UNAVAILABLE, e.status());
    assertTrue(e.detail().getMessage().contains("unknown"));
    ApiException internal = api.toApi(new IllegalStateException("boom"));
    assertEquals(GrpcStatus.INTERNAL, internal.status());
    assertFalse(internal.detail().getMessage().contains("boom"));
  }
}
