package io.raftlock.api;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Message;
import io.raftlock.proto.admin.AddLearnerRequest;
import io.raftlock.proto.admin.AdminProto;
import io.raftlock.proto.admin.DumpCommittedRequest;
import io.raftlock.proto.admin.PromoteLearnerRequest;
import io.raftlock.proto.admin.RemoveServerRequest;
import io.raftlock.proto.admin.TransferLeadershipRequest;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.BackoffAdviceRequest;
import io.raftlock.proto.api.CancelWaitRequest;
import io.raftlock.proto.api.EnqueueWaiterRequest;
import io.raftlock.proto.api.GetLockInfoRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.HealthRequest;
import io.raftlock.proto.api.LockFilter;
import io.raftlock.proto.api.LockServiceProto;
import io.raftlock.proto.api.ReleaseRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.WatchRequest;
import io.raftlock.proto.health.HealthProto;
import io.raftlock.proto.health.HealthCheckRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import net.jqwik.api.Arbitrary;

/**
 * Every gRPC method served on the client port, with what a generated body may be without changing
 * the committed state, and a generator of valid requests to mutate. Methods come from the service
 * descriptors, so a new method fails {@link #all} until it is given a policy here.
 */
final class GrpcFuzzMethods {
  /**
   * What a body that decodes may be sent as. A write that could be valid would commit an entry
   * (every applied command moves the state machine's time, part of the state hash), so it is
   * only sent when a required field is empty.
   */
  enum Policy {
    /** Reads and local calls: any decodable body may be sent. */
    READ,
    /** Writes: a decodable body only when one of the required fields is empty. */
    WRITE,
    /**
     * Never a decodable body (an empty TransferLeadership is valid; a Health.Watch never ends; a
     * Session stream stays open).
     */
    UNDECODABLE_ONLY
  }

  /**
   * One method: its full name, its policy, the fields a write requires, the string fields whose
   * control characters the server must refuse, and a generator of valid requests.
   */
  record Method(String fullName, Policy policy, List<String> required, List<String> idFields,
      boolean lockApi, Function<Random, Message> valid, Message prototype) {
    /** Decodes as the server does: the generated parser (proto3 strings must be UTF-8). */
    Message parse(byte[] message) throws com.google.protobuf.InvalidProtocolBufferException {
      return prototype.getParserForType().parseFrom(message);
    }

    /** A decoded write with a required field empty is refused whatever its other fields hold. */
    boolean missesRequired(Message m) {
      return required.stream().anyMatch(f -> {
        FieldDescriptor fd = m.getDescriptorForType().findFieldByName(f);
        return ((String) m.getField(fd)).isEmpty();
      });
    }

    /** The HTTP/2 path: {@code /package.Service/Method}. */
    String path() {
      int dot = fullName.lastIndexOf('.');
      return "/" + fullName.substring(0, dot) + "/" + fullName.substring(dot + 1);
    }

    String shortName() {
      return fullName.substring(fullName.lastIndexOf('.') + 1);
    }
  }

  private static final Map<String, Method> TABLE = table();

  private GrpcFuzzMethods() {}

  /** Every method of raftlock.v1.RaftLock, raftlock.v1.Admin and grpc.health.v1.Health. */
  static List<Method> all() {
    List<Method> methods = new ArrayList<>();
    for (ServiceDescriptor s : List.of(LockServiceProto.getDescriptor().findServiceByName("RaftLock"),
        AdminProto.getDescriptor().findServiceByName("Admin"), HealthProto.getDescriptor().findServiceByName("Health"))) {
      for (MethodDescriptor m : s.getMethods()) {
        Method known = TABLE.get(m.getFullName());
        if (known == null) {
          throw new IllegalStateException("no fuzz policy for " + m.getFullName());
        }
        methods.add(known);
      }
    }
    return methods;
  }

  private static Map<String, Method> table() {
    Map<String, Method> t = new java.util.LinkedHashMap<>();
    lockMethods(t);
    adminAndHealthMethods(t);
    return t;
  }

  private static void lockMethods(Map<String, Method> t) {
    List<String> lockAndClient = List.of("lock_id", "client_id");
    List<String> lockClientRequest = List.of("lock_id", "client_id", "request_id");
    lock(t, "Acquire", AcquireRequest.getDefaultInstance(), Policy.WRITE, lockAndClient, lockClientRequest, r -> AcquireRequest.newBuilder()
        .setLockId(sample(LOCK_ID, r)).setClientId(sample(CLIENT_ID, r)).setTtl(sample(TTL, r))
        .setWait(r.nextBoolean()).setWaitTimeout(sample(WAIT_TIMEOUT, r)).setPriority(sample(PRIORITY, r))
        .putAllMetadata(metadata(r)).setRequestId(sample(REQUEST_ID, r)).build());
    lock(t, "Release", ReleaseRequest.getDefaultInstance(), Policy.WRITE, lockAndClient, lockClientRequest, r -> ReleaseRequest.newBuilder()
        .setLockId(sample(LOCK_ID, r)).setClientId(sample(CLIENT_ID, r)).setVersion(sample(TOKEN, r))
        .setRequestId(sample(REQUEST_ID, r)).build());
    lock(t, "Renew", RenewRequest.getDefaultInstance(), Policy.WRITE, lockAndClient, lockClientRequest, r -> RenewRequest.newBuilder()
        .setLockId(sample(LOCK_ID, r)).setClientId(sample(CLIENT_ID, r)).setVersion(sample(TOKEN, r))
        .setNewTtl(sample(TTL, r)).setRequestId(sample(REQUEST_ID, r)).build());
    lock(t, "GetLockInfo", GetLockInfoRequest.getDefaultInstance(), Policy.READ, List.of(), List.of("lock_id"), r -> GetLockInfoRequest.newBuilder()
        .setLockId(sample(LOCK_ID, r)).setIncludeWaiters(r.nextBoolean()).setStaleRead(r.nextBoolean()).build());
    lock(t, "GetLocks", GetLocksRequest.getDefaultInstance(), Policy.READ, List.of(), List.of(), r -> GetLocksRequest.newBuilder()
        .setFilter(LockFilter.newBuilder().setLockIdPattern("fz-*").putAllMetadataFilter(metadata(r)))
        .setLimit(r.nextInt(1001)).setOffset(r.nextInt(10)).setIncludeWaiters(r.nextBoolean())
        .setStaleRead(r.nextBoolean()).build());
    lock(t, "EnqueueWaiter", EnqueueWaiterRequest.getDefaultInstance(), Policy.WRITE, lockAndClient, lockClientRequest, r -> EnqueueWaiterRequest.newBuilder()
        .setLockId(sample(LOCK_ID, r)).setClientId(sample(CLIENT_ID, r))
        .setTimeout(sample(WAIT_TIMEOUT, r)).setPriority(sample(PRIORITY, r))
        .setRequestId(sample(REQUEST_ID, r)).build());
    lock(t, "CancelWait", CancelWaitRequest.getDefaultInstance(), Policy.WRITE, lockAndClient, lockClientRequest, r -> CancelWaitRequest.newBuilder()
        .setLockId(sample(LOCK_ID, r)).setClientId(sample(CLIENT_ID, r))
        .setRequestId(sample(REQUEST_ID, r)).build());
    lock(t, "GetBackoffAdvice", BackoffAdviceRequest.getDefaultInstance(), Policy.READ, List.of(), List.of("lock_id"), r -> BackoffAdviceRequest.newBuilder()
        .setLockId(sample(LOCK_ID, r)).build());
    lock(t, "GetStatus", GetStatusRequest.getDefaultInstance(), Policy.READ, List.of(), List.of(), r -> GetStatusRequest.newBuilder()
        .setIncludeReplicationDetails(r.nextBoolean()).build());
    lock(t, "Health", HealthRequest.getDefaultInstance(), Policy.READ, List.of(), List.of("service_name"), r -> HealthRequest.newBuilder()
        .setServiceName(r.nextBoolean() ? "" : "raftlock.v1.RaftLock").build());
    // A valid first Session message opens or resumes a session: a write, and the stream stays open.
    lock(t, "Session", io.raftlock.proto.api.SessionRequest.getDefaultInstance(), Policy.UNDECODABLE_ONLY, List.of(),
        List.of(), r -> io.raftlock.proto.api.SessionRequest.newBuilder().setCorrelationId(1).build());
    // A valid Watch opens a stream whose end proposes CancelClientWaits: a write.
    lock(t, "Watch", WatchRequest.getDefaultInstance(), Policy.WRITE, List.of("client_id"), List.of("client_id"), r -> WatchRequest.newBuilder()
        .setClientId(sample(CLIENT_ID, r)).build());
  }

  private static void adminAndHealthMethods(Map<String, Method> t) {
    String admin = "raftlock.v1.Admin.";
    put(t, admin + "ListMembers", io.raftlock.proto.admin.ListMembersRequest.getDefaultInstance(), Policy.READ, List.of(), List.of(), false,
        r -> io.raftlock.proto.admin.ListMembersRequest.getDefaultInstance());
    put(t, admin + "AddLearner", AddLearnerRequest.getDefaultInstance(), Policy.WRITE, List.of("id"), List.of("id"), false, r -> AddLearnerRequest.newBuilder()
        .setId("fz-learner-" + r.nextInt(1000)).setPeerAddress("127.0.0.1:" + (1 + r.nextInt(65535)))
        .setClientAddress("127.0.0.1:" + (1 + r.nextInt(65535))).build());
    put(t, admin + "PromoteLearner", PromoteLearnerRequest.getDefaultInstance(), Policy.WRITE, List.of("id"), List.of("id"), false, r -> PromoteLearnerRequest
        .newBuilder().setId("fz-learner-" + r.nextInt(1000)).setMinIndex(1 + r.nextInt(1000)).build());
    put(t, admin + "RemoveServer", RemoveServerRequest.getDefaultInstance(), Policy.WRITE, List.of("id"), List.of("id"), false, r -> RemoveServerRequest
        .newBuilder().setId("fz-learner-" + r.nextInt(1000)).setTransferFirst(r.nextBoolean()).build());
    put(t, admin + "TransferLeadership", TransferLeadershipRequest.getDefaultInstance(), Policy.UNDECODABLE_ONLY, List.of(), List.of("id"), false,
        r -> TransferLeadershipRequest.newBuilder().setId("node-" + (1 + r.nextInt(3))).build());
    put(t, admin + "DumpCommitted", DumpCommittedRequest.getDefaultInstance(), Policy.READ, List.of(), List.of(), false, r -> DumpCommittedRequest.newBuilder()
        .setFrom(r.nextInt(50)).setTo(r.nextInt(50)).setMaxEntries(r.nextInt(100)).setMaxBytes(r.nextInt(1 << 16))
        .build());
    // A read: the barrier commits nothing, and the stream of a small state ends at once.
    put(t, admin + "SaveSnapshot", io.raftlock.proto.admin.SaveSnapshotRequest.getDefaultInstance(), Policy.READ, List.of(),
        List.of(), false, r -> io.raftlock.proto.admin.SaveSnapshotRequest.newBuilder().setStale(r.nextBoolean()).build());

    String health = "grpc.health.v1.Health.";
    put(t, health + "Check", HealthCheckRequest.getDefaultInstance(), Policy.READ, List.of(), List.of(), false, r -> HealthCheckRequest.newBuilder()
        .setService(r.nextBoolean() ? "" : "raftlock.v1.RaftLock").build());
    put(t, health + "Watch", HealthCheckRequest.getDefaultInstance(), Policy.UNDECODABLE_ONLY, List.of(), List.of(), false,
        r -> HealthCheckRequest.newBuilder().setService("").build());
  }

  private static void lock(Map<String, Method> t, String name, Message prototype, Policy policy,
      List<String> required, List<String> idFields, Function<Random, Message> valid) {
    put(t, "raftlock.v1.RaftLock." + name, prototype, policy, required, idFields, true, valid);
  }

  private static void put(Map<String, Method> t, String fullName, Message prototype, Policy policy,
      List<String> required, List<String> idFields, boolean lockApi, Function<Random, Message> valid) {
    t.put(fullName, new Method(fullName, policy, required, idFields, lockApi, valid, prototype));
  }

  private static final Arbitrary<String> LOCK_ID = Gen.lockId();
  private static final Arbitrary<String> CLIENT_ID = Gen.clientId();
  private static final Arbitrary<String> REQUEST_ID = Gen.requestId();
  private static final Arbitrary<com.google.protobuf.Duration> TTL = Gen.ttl();
  private static final Arbitrary<com.google.protobuf.Duration> WAIT_TIMEOUT = Gen.waitTimeout();
  private static final Arbitrary<Integer> PRIORITY = Gen.priority();
  private static final Arbitrary<Long> TOKEN = Gen.token();
  private static final Arbitrary<String> METADATA_KEY = Gen.id(io.raftlock.lock.LockLimits.MAX_METADATA_KEY_LENGTH);
  private static final Arbitrary<String> METADATA_VALUE = Gen.text(0, io.raftlock.lock.LockLimits.MAX_METADATA_VALUE_LENGTH);

  /** Up to 3 metadata entries. */
  private static Map<String, String> metadata(Random r) {
    Map<String, String> m = new java.util.HashMap<>();
    for (int n = r.nextInt(4); n > 0; n--) {
      m.put(sample(METADATA_KEY, r), sample(METADATA_VALUE, r));
    }
    return m;
  }

  /**
   * One value of a jqwik arbitrary, drawn from {@code random} (so a seed reproduces it). Outside
   * a jqwik property this must run inside a {@code JqwikSession}, where generators are memoized.
   */
  static <T> T sample(Arbitrary<T> arbitrary, Random random) {
    return arbitrary.generator(1000).next(random).value();
  }
}
