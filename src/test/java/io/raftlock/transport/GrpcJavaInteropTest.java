package io.raftlock.transport;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.raftlock.proto.peer.PeerEnvelope;
import io.raftlock.proto.peer.SnapshotChunk;
import io.raftlock.proto.peer.SnapshotReply;
import io.raftlock.proto.peer.StreamSummary;
import io.raftlock.raft.ClusterConfig;
import io.raftlock.raft.Snapshot;
import io.raftlock.raft.SnapshotMeta;
import io.raftlock.transport.PeerTransportConfig.PeerAddress;
import io.raftlock.transport.TransportFixture.Node;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A stock grpc-java client (generic ClientCalls, protobuf marshallers) against the peer server. */
@Timeout(60)
class GrpcJavaInteropTest {
  private static final String SERVICE = "raftlock.peer.v1.RaftPeer";
  private static final MethodDescriptor<PeerEnvelope, StreamSummary> MESSAGES =
      method("Messages", PeerEnvelope.getDefaultInstance(), StreamSummary.getDefaultInstance());
  private static final MethodDescriptor<SnapshotChunk, SnapshotReply> INSTALL_SNAPSHOT =
      method("InstallSnapshot", SnapshotChunk.getDefaultInstance(), SnapshotReply.getDefaultInstance());

  private TransportFixture fixture;
  private Node b;
  private ManagedChannel channel;

  @BeforeEach
  void setUp() {
    fixture = new TransportFixture();
    Map<String, PeerAddress> members = TransportFixture.members("a", "b");
    b = fixture.started(TransportFixture.config("b", members));
    channel = ManagedChannelBuilder.forAddress(TransportFixture.HOST, members.get("b").port())
        .usePlaintext().build();
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    fixture.close();
    fixture.blocked.assertNone();
  }

  @Test
  void aStockClientStreamsMessages() throws Exception {
    CompletableFuture<StreamSummary> summary = new CompletableFuture<>();
    StreamObserver<PeerEnvelope> out = ClientCalls.asyncClientStreamingCall(
        as("a", "b").newCall(MESSAGES, deadline()), observer(summary));
    List<io.raftlock.raft.Message> sent = GrpcPeerTransportTest.everyKind("a", "b");
    sent.forEach(m -> out.onNext(MessageMapper.toProto(m)));
    out.onCompleted();

    assertEquals(sent.size(), summary.get(20, TimeUnit.SECONDS).getReceived());
    assertEquals(sent, List.copyOf(b.messages));
  }

  @Test
  void aStockClientSendsASnapshotInChunks() throws Exception {
    byte[] data = new byte[3 << 20];
    new Random(9).nextBytes(data);
    io.raftlock.raft.Message.InstallSnapshot snapshot = new io.raftlock.raft.Message.InstallSnapshot(
        "a", "b", 6, new Snapshot(new SnapshotMeta(700, 5, ClusterConfig.ofVoters(Set.of("a", "b"))), data));
    CompletableFuture<SnapshotReply> reply = new CompletableFuture<>();
    StreamObserver<SnapshotChunk> out = ClientCalls.asyncClientStreamingCall(
        as("a", "b").newCall(INSTALL_SNAPSHOT, deadline()), observer(reply));
    out.onNext(SnapshotChunk.newBuilder().setHeader(MessageMapper.toProto(snapshot)).build());
    for (int off = 0; off < data.length; off += 1 << 20) {
      out.onNext(SnapshotChunk.newBuilder().setOffset(off)
          .setData(ByteString.copyFrom(data, off, Math.min(1 << 20, data.length - off))).build());
    }
    out.onCompleted();

    assertTrue(reply.get(20, TimeUnit.SECONDS).getAccepted());
    io.raftlock.raft.Message.InstallSnapshot got = (io.raftlock.raft.Message.InstallSnapshot) b.messages.peek();
    assertEquals(snapshot.snapshot().meta(), got.snapshot().meta());
    assertArrayEquals(data, got.snapshot().data());
  }

  @Test
  void anImpostorEnvelopeEndsTheCallAndIsNotDelivered() {
    CompletableFuture<StreamSummary> summary = new CompletableFuture<>();
    StreamObserver<PeerEnvelope> out = ClientCalls.asyncClientStreamingCall(
        as("a", "b").newCall(MESSAGES, deadline()), observer(summary));
    out.onNext(MessageMapper.toProto(new io.raftlock.raft.Message.TimeoutNow("mallory", "b", 50)));
    assertStatus(Status.Code.PERMISSION_DENIED, summary);
    out.onCompleted();
    assertTrue(b.messages.isEmpty());
  }

  @Test
  void aCallerOutsideTheClusterIsRefused() {
    CompletableFuture<StreamSummary> summary = new CompletableFuture<>();
    StreamObserver<PeerEnvelope> out = ClientCalls.asyncClientStreamingCall(
        as("mallory", "b").newCall(MESSAGES, deadline()), observer(summary));
    out.onNext(MessageMapper.toProto(new io.raftlock.raft.Message.TimeoutNow("mallory", "b", 50)));
    out.onCompleted();
    assertStatus(Status.Code.PERMISSION_DENIED, summary);
    await().atMost(Duration.ofSeconds(5)).until(() -> b.stats().rejected() >= 1);
    assertTrue(b.messages.isEmpty());
  }

  private Channel as(String from, String to) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of(PeerIdentity.FROM, Metadata.ASCII_STRING_MARSHALLER), from);
    headers.put(Metadata.Key.of(PeerIdentity.TO, Metadata.ASCII_STRING_MARSHALLER), to);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  private static CallOptions deadline() {
    return CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private static void assertStatus(Status.Code expected, CompletableFuture<?> result) {
    try {
      result.get(20, TimeUnit.SECONDS);
      throw new AssertionError("expected " + expected + ", the call succeeded");
    } catch (ExecutionException e) {
      assertEquals(expected, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static <T> StreamObserver<T> observer(CompletableFuture<T> result) {
    return new StreamObserver<>() {
      @Override
      public void onNext(T value) {
        result.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.completeExceptionally(new AssertionError("completed without a reply"));
      }
    };
  }

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> method(
      String name, Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }
}
