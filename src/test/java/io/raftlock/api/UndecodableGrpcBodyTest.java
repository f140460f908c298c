package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.raftlock.testing.LocalCluster;
import io.raftlock.wire.ErrorTrailers;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Request bodies that are not one decodable message, sent as hand-made gRPC frames over a raw
 * HTTP/2 client (and one through a stock grpc-java client) to every method of a real node. Each
 * must end in a gRPC status INVALID_ARGUMENT with a message and the RaftLock error code trailer,
 * never a stream reset or silence, and the node's state must be unchanged afterwards.
 */
@Timeout(120)
class UndecodableGrpcBodyTest {
  static final List<String> METHODS = List.of(
      "raftlock.v1.RaftLock/Acquire", "raftlock.v1.RaftLock/Release", "raftlock.v1.RaftLock/Renew",
      "raftlock.v1.RaftLock/GetLockInfo", "raftlock.v1.RaftLock/GetLocks", "raftlock.v1.RaftLock/EnqueueWaiter",
      "raftlock.v1.RaftLock/CancelWait", "raftlock.v1.RaftLock/GetBackoffAdvice", "raftlock.v1.RaftLock/GetStatus",
      "raftlock.v1.RaftLock/Health", "raftlock.v1.RaftLock/Watch",
      "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch",
      "raftlock.v1.Admin/ListMembers", "raftlock.v1.Admin/AddLearner", "raftlock.v1.Admin/PromoteLearner",
      "raftlock.v1.Admin/RemoveServer", "raftlock.v1.Admin/TransferLeadership", "raftlock.v1.Admin/DumpCommitted");

  /** Bodies no method can decode, whatever its message type. */
  static final List<Buffer> UNDECODABLE = List.of(
      frame(0xff),                                  // a lone byte: a tag with no field number
      frame(0x0a, 0x64, 'a', 'b'),                  // field 1, length 100, 2 bytes follow
      frame(0x0c),                                  // an end-group tag with no group
      frame(0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), // an 11-byte varint
      Buffer.buffer(new byte[] {(byte) 0xff}),      // one byte, no gRPC frame header
      Buffer.buffer(new byte[] {0, 0, 0, 0, 100, 0x0a, 0x01}), // length prefix 100, 2 bytes sent
      Buffer.buffer(new byte[] {1, 0, 0, 0, 3, 0x0f, 0x6d, (byte) 0xd8}), // compressed flag, no grpc-encoding
      Buffer.buffer());                             // no message at all

  @TempDir static Path root;
  static LocalCluster cluster;
  static Vertx vertx;
  static HttpClient http;
  static int port;

  @BeforeAll
  static void start() {
    cluster = new LocalCluster(1, root).start();
    port = cluster.clientPort(cluster.awaitLeader());
    vertx = Vertx.vertx();
    http = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close().await();
      vertx.close().await();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyMethodAnswersAnUndecodableBodyWithInvalidArgumentAndChangesNothing() {
    String node = cluster.awaitLeader();
    long commitBefore = cluster.node(node).status().commitIndex();
    long hashBefore = cluster.node(node).stateHash().await();
    List<String> wrong = new ArrayList<>();
    for (String method : METHODS) {
      for (int i = 0; i < UNDECODABLE.size(); i++) {
        Answer a;
        try {
          a = call(method, UNDECODABLE.get(i)).await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          wrong.add(method + " body #" + i + ": " + e);
          continue;
        }
        if (!a.status().equals("3") || a.message() == null || a.message().isEmpty() || !"305".equals(a.errorCode())) {
          wrong.add(method + " body #" + i + ": " + a);
        }
      }
    }
    assertTrue(wrong.isEmpty(), "not INVALID_ARGUMENT with a message and error code 305: " + wrong);
    assertEquals(commitBefore, cluster.node(node).status().commitIndex(), "nothing was proposed");
    assertEquals(hashBefore, cluster.node(node).stateHash().await(), "state unchanged");
    Answer health = call("grpc.health.v1.Health/Check", frame()).await();
    assertEquals("0", health.status(), "the node still answers a valid request: " + health);
  }

  @Test
  void theMessageSaysWhyTheBodyWasRefused() {
    Answer lone = call("raftlock.v1.RaftLock/Acquire", frame(0xff)).await();
    assertTrue(lone.message().startsWith("request body is not a valid Acquire request message"), lone.toString());
    Answer cut = call("raftlock.v1.RaftLock/Acquire", Buffer.buffer(new byte[] {0, 0, 0, 0, 100, 0x0a})).await();
    assertTrue(cut.message().contains("no complete message"), cut.toString());
    int oversized = 300 * 1024; // over vertx-grpc's default limit of 256 KiB
    Answer big = call("raftlock.v1.RaftLock/Acquire",
        Buffer.buffer().appendByte((byte) 0).appendInt(oversized).appendBytes(new byte[oversized])).await();
    assertEquals("3", big.status(), big.toString());
    assertTrue(big.message().contains(oversized + " bytes is over the limit"), big.toString());
    Answer compressed = call("raftlock.v1.RaftLock/Acquire", Buffer.buffer(new byte[] {1, 0, 0, 0, 2, 0x08, 0x01})).await();
    assertEquals("3", compressed.status(), compressed.toString());
    assertTrue(compressed.message().contains("marked compressed"), compressed.toString());
    Answer utf8 = call("raftlock.v1.RaftLock/Acquire", frame(0x0a, 0x02, 0xc3, 0x28)).await();
    assertEquals("3", utf8.status(), utf8.toString());
    assertTrue(utf8.message().contains("UTF-8"), utf8.toString());
  }

  /**
   * gRPC's compression rule: a message compressed with an algorithm the server does not support
   * ends in UNIMPLEMENTED, and the answer names the encodings the server accepts.
   */
  @Test
  void anEncodingTheServerDoesNotSupportIsUnimplementedAndNamesTheAcceptedOnes() {
    for (String encoding : List.of("deflate", "snappy", "zstd", "x-made-up")) {
      Answer a = call("raftlock.v1.RaftLock/Acquire", encoding, Buffer.buffer(new byte[] {1, 0, 0, 0, 2, 0x08, 0x01})).await();
      assertEquals("12", a.status(), encoding + ": " + a);
      assertEquals("305", a.errorCode(), encoding + ": " + a);
      assertTrue(a.message().contains(encoding) && a.message().contains("gzip"), encoding + ": " + a);
      assertEquals("gzip", a.acceptEncoding(), encoding + ": " + a);
    }
  }

  /** Valid protobuf whose fields carry the wrong wire types decodes (protobuf keeps them as unknown fields). */
  @Test
  void wrongWireTypesDecodeAndAreRefusedByValidationNamingTheField() {
    // field 1 (lock_id, a string) as a varint, field 2 (client_id) as a fixed64
    Answer a = call("raftlock.v1.RaftLock/Acquire", frame(0x08, 0x05, 0x11, 1, 2, 3, 4, 5, 6, 7, 8)).await();
    assertEquals("3", a.status(), a.toString());
    assertEquals("lock_id", a.field(), a.toString());
  }

  @Test
  void aStockGrpcJavaClientSeesInvalidArgument() throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      MethodDescriptor<byte[], byte[]> acquire = MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("raftlock.v1.RaftLock/Acquire")
          .setRequestMarshaller(RAW).setResponseMarshaller(RAW).build();
      StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
          () -> ClientCalls.blockingUnaryCall(channel, acquire, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
              new byte[] {(byte) 0xff}));
      assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
      assertFalse(e.getStatus().getDescription().isEmpty());
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  record Answer(String status, String message, String errorCode, String field, String acceptEncoding, String body) {}

  /**
   * Runs on a Vert.x context: composed from the test thread, the body handler could be set after a
   * quick trailers-only answer had already ended the response, and the call would never complete.
   */
  static Future<Answer> call(String method, Buffer body) {
    return call(method, null, body);
  }

  /** As {@link #call(String, Buffer)}, naming {@code encoding} in {@code grpc-encoding} when not null. */
  static Future<Answer> call(String method, String encoding, Buffer body) {
    Promise<Answer> answer = Promise.promise();
    vertx.runOnContext(v -> send(method, encoding, body).onComplete(answer));
    return answer.future();
  }

  private static Future<Answer> send(String method, String encoding, Buffer body) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
        .setURI("/" + method).putHeader("content-type", "application/grpc").putHeader("te", "trailers");
    if (encoding != null) {
      options.putHeader("grpc-encoding", encoding);
    }
    return http.request(options).compose(req -> req.send(body)).compose(resp -> resp.body().map(b -> {
      MultiMap t = resp.trailers().contains("grpc-status") ? resp.trailers() : resp.headers();
      String message = t.get("grpc-message");
      return new Answer(t.get("grpc-status"), message == null ? null : URLDecoder.decode(message, StandardCharsets.UTF_8), t.get(ErrorTrailers.ERROR_CODE_TRAILER),
          t.get(ErrorTrailers.ERROR_FIELD_TRAILER), resp.headers().get("grpc-accept-encoding"), b.toString());
    }));
  }

  /** One gRPC frame (not compressed, 4-byte big-endian length) holding {@code bytes}. */
  static Buffer frame(int... bytes) {
    Buffer b = Buffer.buffer().appendByte((byte) 0).appendInt(bytes.length);
    for (int x : bytes) {
      b.appendByte((byte) x);
    }
    return b;
  }

  static final MethodDescriptor.Marshaller<byte[]> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };
}
