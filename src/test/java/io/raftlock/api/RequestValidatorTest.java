package io.raftlock.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import io.raftlock.lock.ErrorCode;
import io.raftlock.lock.LockCommand;
import io.raftlock.lock.LockLimits;
import io.raftlock.proto.api.AcquireRequest;
import io.raftlock.proto.api.GetLocksRequest;
import io.raftlock.proto.api.GetStatusRequest;
import io.raftlock.proto.api.RenewRequest;
import io.raftlock.proto.api.WatchRequest;
import org.junit.jupiter.api.Test;

/** Boundaries, defaults and messages, one example each. */
class RequestValidatorTest {
  private static final AcquireRequest OK = AcquireRequest.newBuilder()
      .setLockId("db/users").setClientId("worker-1").build();

  private static ValidationError error(AcquireRequest r) {
    return RequestValidator.validate(r).orElseThrow();
  }

  private static Duration ms(long ms) {
    return ApiMapper.durationOfMillis(ms);
  }

  @Test
  void lengthsAreInclusiveAndCountUtf16Chars() {
    String max = "x".repeat(256);
    assertTrue(RequestValidator.validate(OK.toBuilder().setLockId(max).build()).isEmpty());
    assertEquals("lock_id", error(OK.toBuilder().setLockId(max + "x").build()).field());
    String emojis = Gen.EMOJI.repeat(128); // 128 code points, 256 chars
    assertTrue(RequestValidator.validate(OK.toBuilder().setClientId(emojis).build()).isEmpty());
    assertEquals("client_id",
        error(OK.toBuilder().setClientId(emojis + "a").build()).field());
    assertTrue(RequestValidator.validate(OK.toBuilder().setRequestId("r".repeat(128)).build())
        .isEmpty());
    assertEquals("request_id", error(OK.toBuilder().setRequestId("r".repeat(129)).build()).field());
  }

  @Test
  void ttlBoundsAndTruncation() {
    assertTrue(RequestValidator.validate(OK.toBuilder().setTtl(ms(1_000)).build()).isEmpty());
    assertTrue(RequestValidator.validate(OK.toBuilder().setTtl(ms(86_400_000)).build()).isEmpty());
    ValidationError e = error(OK.toBuilder().setTtl(ms(999)).build());
    assertEquals(new ValidationError("ttl", ErrorCode.INVALID_TTL,
        "ttl must be between 1000 ms and 86400000 ms, got 999 ms"), e);
    assertEquals("ttl", error(OK.toBuilder().setTtl(ms(86_400_001)).build()).field());
    // 24 h plus half a millisecond truncates to 24 h: accepted, proposed as 24 h.
    Duration justOver = Duration.newBuilder().setSeconds(86_400).setNanos(500_000).build();
    assertEquals(86_400_000, ApiMapper.toCommand(OK.toBuilder().setTtl(justOver).build(), 0).ttlMs());
    Duration malformed = Duration.newBuilder().setSeconds(5).setNanos(-1).build();
    assertEquals(ErrorCode.INVALID_ARGUMENT, error(OK.toBuilder().setTtl(malformed).build()).code());
  }

  @Test
  void absentDurationsTakeDefaultsWhereTheProtoSaysSo() {
    LockCommand.Acquire c = ApiMapper.toCommand(OK.toBuilder().setWait(true).build(), 7);
    assertEquals(LockLimits.DEFAULT_TTL_MS, c.ttlMs());
    assertEquals(RequestValidator.DEFAULT_WAIT_TIMEOUT_MS, c.waitTimeoutMs());
    assertEquals(7, c.timeMs());
    RenewRequest renew = RenewRequest.newBuilder().setLockId("l").setClientId("c").setVersion(3).build();
    assertEquals("new_ttl", RequestValidator.validate(renew).orElseThrow().field());
  }

  @Test
  void metadataEntriesAreNamedByKey() {
    assertEquals("metadata[owner]",
        error(OK.toBuilder().putMetadata("owner", "v".repeat(257)).build()).field());
    assertEquals("metadata[]", error(OK.toBuilder().putMetadata("", "v").build()).field());
    assertEquals("metadata[a\\u0007b]",
        error(OK.toBuilder().putMetadata("a\u0007b", "v").build()).field());
    AcquireRequest.Builder many = OK.toBuilder();
    for (int i = 0; i < 33; i++) {
      many.putMetadata("k" + i, "v");
    }
    assertEquals("metadata", error(many.build()).field());
    // Values are data: a newline is fine there.
    assertTrue(RequestValidator.validate(OK.toBuilder().putMetadata("k", "a\nb").build()).isEmpty());
  }

  @Test
  void firstOffendingFieldInProtoOrderIsReported() {
    AcquireRequest r = OK.toBuilder().setLockId("").setPriority(5000).setRequestId("\u0000").build();
    assertEquals("lock_id", error(r).field());
    assertEquals("priority", error(r.toBuilder().setLockId("l").build()).field());
  }

  @Test
  void controlCharactersAndUnpairedSurrogatesInIds() {
    assertEquals("lock_id", error(OK.toBuilder().setLockId("a\tb").build()).field());
    assertEquals("lock_id", error(OK.toBuilder().setLockId("a\u0085b").build()).field());
    assertEquals("client_id", error(OK.toBuilder().setClientId("\uD83D").build()).field());
    assertEquals("client_id", error(OK.toBuilder().setClientId("\uDE00x").build()).field());
    assertTrue(RequestValidator.validate(OK.toBuilder().setLockId("données/中文/" + Gen.EMOJI)
        .build()).isEmpty());
  }

  @Test
  void invalidUtf8OnTheWireIsRefusedByTheDecoder() {
    byte[] bytes = OK.toByteArray();
    // Replace the lock id's first byte with a lone continuation byte.
    int at = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("db/users");
    bytes[at] = (byte) 0x80;
    assertThrows(InvalidProtocolBufferException.class, () -> AcquireRequest.parseFrom(bytes));
  }

  @Test
  void pagination() {
    assertTrue(RequestValidator.validate(GetLocksRequest.newBuilder().setLimit(1000).build()).isEmpty());
    assertEquals(100, ApiMapper.pageLimit(GetLocksRequest.getDefaultInstance()));
    assertEquals("limit", RequestValidator.validate(GetLocksRequest.newBuilder().setLimit(1001)
        .build()).orElseThrow().field());
    assertEquals("offset", RequestValidator.validate(GetLocksRequest.newBuilder().setOffset(-1)
        .build()).orElseThrow().field());
  }

  @Test
  void genericEntryPoint() {
    assertTrue(RequestValidator.validate((com.google.protobuf.Message) GetStatusRequest
        .getDefaultInstance()).isEmpty());
    assertEquals("client_id", RequestValidator.validate(
        (com.google.protobuf.Message) WatchRequest.getDefaultInstance()).orElseThrow().field());
    assertEquals("request", RequestValidator.validate(Duration.getDefaultInstance())
        .orElseThrow().field());
  }
}
