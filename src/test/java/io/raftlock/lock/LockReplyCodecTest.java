package io.raftlock.lock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A reply on its own survives encoding; malformed bytes fail only with LockCodecException. */
class LockReplyCodecTest {
  static final List<LockReply> EVERY_KIND = List.of(
      new LockReply.Granted(42, 1_700_000_000_000L, 1_700_000_030_000L),
      new LockReply.Granted(Long.MAX_VALUE, -1, Long.MIN_VALUE),
      new LockReply.Queued(3, 12_345),
      new LockReply.Released(true),
      new LockReply.Released(false),
      new LockReply.Renewed(99),
      new LockReply.Cancelled(2),
      new LockReply.Expired(1, 4),
      LockReply.Error.of(ErrorCode.LOCK_HELD, "held by é-client"),
      new LockReply.Error(ErrorCode.WAIT_QUEUE_FULL, "full",
          new BackoffAdvice(100, 5_000, 2.0, 0.2, 1_500)),
      new LockReply.Promoted(3),
      new LockReply.Promoted(0),
      new LockReply.Granted(42, 1_700_000_000_000L, 1_700_000_030_000L, true),
      new LockReply.Expired(2, 1, 3),
      new LockReply.SessionOpened(17, 10_000, 1_700_000_010_000L),
      new LockReply.KeptAlive(1_700_000_020_000L),
      new LockReply.SessionClosed(4, 2),
      new LockReply.AuthChanged(),
      new LockReply.Configured(7),
      new LockReply.Configured(0));

  @Test
  void everyKindOfReplyRoundTrips() {
    for (LockReply reply : EVERY_KIND) {
      assertEquals(reply, LockReplyCodec.decode(LockReplyCodec.encode(reply)));
    }
  }

  @Test
  void promotedHasItsOwnTag() {
    // version 1, tag 8, zigzag varint of 3 = 6
    assertArrayEquals(new byte[] {1, 8, 6}, LockReplyCodec.encode(new LockReply.Promoted(3)));
  }

  @Test
  void repliesThatExistedBeforeSessionsKeepTheirBytes() {
    // Granted(42, 1, 2): version 1, tag 1, zigzag 84, 2, 4 -> not already held.
    byte[] granted = {1, 1, 84, 2, 4};
    assertEquals(new LockReply.Granted(42, 1, 2, false), LockReplyCodec.decode(granted));
    assertArrayEquals(granted, LockReplyCodec.encode(new LockReply.Granted(42, 1, 2)));
    assertArrayEquals(new byte[] {1, 9, 84, 2, 4},
        LockReplyCodec.encode(new LockReply.Granted(42, 1, 2, true)));
    byte[] expired = {1, 6, 2, 0};
    assertEquals(new LockReply.Expired(1, 0, 0), LockReplyCodec.decode(expired));
    assertArrayEquals(expired, LockReplyCodec.encode(new LockReply.Expired(1, 0)));
    // Tag 13 is only for a non-zero session count: one encoding per reply.
    assertThrows(LockCodecException.class,
        () -> LockReplyCodec.decode(new byte[] {1, 13, 2, 0, 0}));
  }

  @Test
  void malformedBytesAreRejected() {
    byte[] good = LockReplyCodec.encode(EVERY_KIND.get(9));
    for (int n = 0; n < good.length; n++) {
      byte[] truncated = Arrays.copyOf(good, n);
      assertThrows(LockCodecException.class, () -> LockReplyCodec.decode(truncated));
    }
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    assertThrows(LockCodecException.class, () -> LockReplyCodec.decode(trailing));
    byte[] version = good.clone();
    version[0] = 2;
    assertThrows(LockCodecException.class, () -> LockReplyCodec.decode(version));
    byte[] tag = good.clone();
    tag[1] = 99;
    assertThrows(LockCodecException.class, () -> LockReplyCodec.decode(tag));
    assertThrows(LockCodecException.class, () -> LockReplyCodec.decode(null));
  }
}
