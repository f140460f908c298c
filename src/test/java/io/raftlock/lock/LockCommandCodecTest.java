package io.raftlock.lock;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class LockCommandCodecTest {

  /** Valid Unicode only (no lone surrogates): that is what UTF-8 can carry. */
  static Arbitrary<String> strings() {
    return Arbitraries.strings().withCharRange('\u0000', '\uD7FF').ofMaxLength(40);
  }

  static Arbitrary<LockCommand> commands() {
    Arbitrary<String> s = strings();
    Arbitrary<Long> l = Arbitraries.longs();
    Arbitrary<Integer> i = Arbitraries.integers();
    Arbitrary<java.util.SortedMap<String, String>> md =
        Arbitraries.maps(s, s).ofMaxSize(5).map(java.util.TreeMap::new);
    Arbitrary<LockCommand> acquire = Combinators.combine(s, s, l, Arbitraries.of(true, false), l,
        i, md, Combinators.combine(s, l).as((req, t) -> new Object[] {req, t}))
        .as((lock, client, ttl, w, wt, p, m, rt) ->
            new LockCommand.Acquire(lock, client, ttl, w, wt, p, m, (String) rt[0], (Long) rt[1]));
    Arbitrary<LockCommand> owned = Arbitraries.oneOf(
        acquire,
        Combinators.combine(s, s, l, s, l).as(LockCommand.Release::new),
        Combinators.combine(s, s, l, l, s, l).as(LockCommand.Renew::new),
        Combinators.combine(s, s, l, i, s, l).as(LockCommand.EnqueueWaiter::new),
        Combinators.combine(s, s, s, l).as(LockCommand.CancelWait::new));
    Arbitrary<Long> sessionIds = Arbitraries.oneOf(Arbitraries.longs().between(1, 1_000_000),
        l.filter(x -> x != 0));
    return Arbitraries.oneOf(
        owned,
        Combinators.combine(owned, sessionIds).as(LockCommandCodecTest::ownedBy),
        Combinators.combine(owned, sessionIds, l, l).as((c, sid, seq, below) ->
            new LockCommand.Sequenced(seq, below, (LockCommand.SessionOwned) ownedBy(c, sid))),
        l.map(LockCommand.Expire::new),
        Combinators.combine(s, l).as(LockCommand.CancelClientWaits::new),
        Combinators.combine(s, s, l).as(LockCommand.CancelClientWaits::new),
        l.map(LockCommand.Promote::new),
        Combinators.combine(s, l, md, l).as(LockCommand.OpenSession::new),
        Combinators.combine(l, l).as(LockCommand.KeepAlive::new),
        Combinators.combine(l, l).as(LockCommand.CloseSession::new),
        Combinators.combine(configs(), l).as(LockCommand.Configure::new));
  }

  /** Any settings a {@link LockStateMachine.Config} can hold. */
  static Arbitrary<LockStateMachine.Config> configs() {
    Arbitrary<Integer> n = Arbitraries.integers().greaterOrEqual(0);
    return Combinators.combine(n,
        Arbitraries.longs().between(0, LockStateMachine.Config.MAX_DEDUPE_RETENTION_MS), n, n)
        .as(LockStateMachine.Config::new);
  }

  /** The same lock command, owned by session {@code sid}. */
  static LockCommand ownedBy(LockCommand cmd, long sid) {
    if (cmd instanceof LockCommand.Acquire c) {
      return new LockCommand.Acquire(c.lockId(), c.clientId(), c.ttlMs(), c.waitForLock(),
          c.waitTimeoutMs(), c.priority(), c.metadata(), c.requestId(), c.timeMs(), sid);
    } else if (cmd instanceof LockCommand.Release c) {
      return new LockCommand.Release(c.lockId(), c.clientId(), c.token(), c.requestId(),
          c.timeMs(), sid);
    } else if (cmd instanceof LockCommand.Renew c) {
      return new LockCommand.Renew(c.lockId(), c.clientId(), c.token(), c.ttlMs(), c.requestId(),
          c.timeMs(), sid);
    } else if (cmd instanceof LockCommand.EnqueueWaiter c) {
      return new LockCommand.EnqueueWaiter(c.lockId(), c.clientId(), c.waitTimeoutMs(),
          c.priority(), c.requestId(), c.timeMs(), sid);
    }
    LockCommand.CancelWait c = (LockCommand.CancelWait) cmd;
    return new LockCommand.CancelWait(c.lockId(), c.clientId(), c.requestId(), c.timeMs(), sid);
  }

  @Provide
  Arbitrary<LockCommand> anyCommand() {
    return commands();
  }

  @Property(tries = 3000)
  void roundTrips(@ForAll("anyCommand") LockCommand cmd) {
    byte[] bytes = LockCommandCodec.encode(cmd);
    LockCommand back = LockCommandCodec.decode(bytes);
    assertEquals(cmd, back);
    assertArrayEquals(bytes, LockCommandCodec.encode(back));
  }

  @Property(tries = 5000)
  void garbageThrowsOnlyTheTypedException(@ForAll @Size(max = 64) byte[] garbage) {
    decodeOrTypedFailure(garbage);
    // Make the garbage look like a command more often, to get past the header checks.
    if (garbage.length >= 2) {
      garbage[0] = 1;
      garbage[1] = (byte) (1 + Math.floorMod(garbage[1], 8));
      decodeOrTypedFailure(garbage);
    }
  }

  @Property(tries = 3000)
  void mutatedEncodingsThrowOnlyTheTypedException(@ForAll("anyCommand") LockCommand cmd,
      @ForAll @IntRange(min = 0, max = 1000) int where, @ForAll byte value,
      @ForAll boolean truncate) {
    byte[] bytes = LockCommandCodec.encode(cmd);
    int at = where % bytes.length;
    byte[] mutated = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
    if (!truncate) {
      mutated[at] = value;
    }
    decodeOrTypedFailure(mutated);
    // The state machine never throws on bytes either.
    new LockStateMachine().apply(1, mutated);
  }

  private static void decodeOrTypedFailure(byte[] bytes) {
    try {
      LockCommandCodec.decode(bytes);
    } catch (LockCodecException expected) {
      // The only failure allowed.
    }
  }

  @Test
  void rejectsTrailingBytesUnknownVersionsAndTags() {
    byte[] ok = LockCommandCodec.encode(new LockCommand.Expire(5));
    byte[] trailing = Arrays.copyOf(ok, ok.length + 1);
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(trailing));
    byte[] version = ok.clone();
    version[0] = 2;
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(version));
    byte[] tag = ok.clone();
    tag[1] = 99;
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(tag));
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(new byte[0]));
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(null));
  }

  @Test
  void aCancellationOfOnePrincipalHasItsOwnTagAndTheOldOneIsUnchanged() {
    byte[] everyPrincipal = LockCommandCodec.encode(new LockCommand.CancelClientWaits("w", 0));
    assertArrayEquals(new byte[] {1, 7, 1, 'w', 0}, everyPrincipal, "byte for byte what it was");
    byte[] ofAlice = LockCommandCodec.encode(new LockCommand.CancelClientWaits("w", "alice", 0));
    assertEquals(14, ofAlice[1]);
    assertEquals(new LockCommand.CancelClientWaits("w", "alice", 0), LockCommandCodec.decode(ofAlice));
    // Tag 14 with an empty principal would be a second encoding of tag 7's command.
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(new byte[] {1, 14, 1, 'w', 0, 0}));
  }

  @Test
  void rejectsMalformedUtf8AndUnsortedMetadata() {
    // CancelClientWaits with a 1-byte string 0xFF (never valid UTF-8), time 0.
    byte[] badUtf8 = {1, 7, 1, (byte) 0xFF, 0};
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(badUtf8));
    var md = new java.util.TreeMap<String, String>(java.util.Map.of("a", "1", "b", "2"));
    byte[] bytes = LockCommandCodec.encode(
        new LockCommand.Acquire("l", "c", 1000, false, 0, 0, md, "", 0));
    // Swap the two keys "a" and "b" in place: same length, now descending.
    int a = indexOf(bytes, (byte) 'a');
    int b = indexOf(bytes, (byte) 'b');
    bytes[a] = 'b';
    bytes[b] = 'a';
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(bytes));
  }

  @Test
  void promoteHasItsOwnTagAndOldTagsAreUnchanged() {
    // version 1, tag 8, zigzag varint of 5 = 10
    assertArrayEquals(new byte[] {1, 8, 10},
        LockCommandCodec.encode(new LockCommand.Promote(5)));
    assertArrayEquals(new byte[] {1, 6, 10}, LockCommandCodec.encode(new LockCommand.Expire(5)));
    assertEquals(new LockCommand.Promote(Long.MIN_VALUE),
        LockCommandCodec.decode(LockCommandCodec.encode(new LockCommand.Promote(Long.MIN_VALUE))));
    assertEquals(new LockCommand.Promote(1_700_000_000_000L),
        LockCommandCodec.decode(new byte[] {1, 8, (byte) 0x80, (byte) 0xA0, (byte) 0xAB,
            (byte) 0xFE, (byte) 0xF9, 0x62}));
  }

  @Test
  void withTimeMsKeepsTheCommandKind() {
    assertEquals(new LockCommand.Promote(9), new LockCommand.Promote(5).withTimeMs(9));
    assertEquals(new LockCommand.Expire(9), new LockCommand.Expire(5).withTimeMs(9));
    assertEquals(new LockCommand.KeepAlive(3, 9), new LockCommand.KeepAlive(3, 5).withTimeMs(9));
    assertEquals(new LockCommand.CloseSession(3, 9),
        new LockCommand.CloseSession(3, 5).withTimeMs(9));
    assertEquals(new LockCommand.OpenSession("w", 1_000, null, 9),
        new LockCommand.OpenSession("w", 1_000, null, 5).withTimeMs(9));
    assertEquals(new LockCommand.Release("a", "c", 5, "r", 9, 3),
        new LockCommand.Release("a", "c", 5, "r", 5, 3).withTimeMs(9));
    assertEquals(new LockCommand.Acquire("a", "c", 0, true, 1_000, 1, null, "r", 9, 3),
        new LockCommand.Acquire("a", "c", 0, true, 1_000, 1, null, "r", 5, 3).withTimeMs(9));
  }

  @Test
  void clientOwnedCommandsEncodeAsBeforeSessionsAndSessionCommandsHaveTheirOwnTags() {
    // Release("a", "c", token 5, no request id, time 7): version 1, tag 2, zigzag 5 = 10, 7 = 14.
    byte[] legacy = {1, 2, 1, 'a', 1, 'c', 10, 0, 14};
    assertArrayEquals(legacy, LockCommandCodec.encode(new LockCommand.Release("a", "c", 5, "", 7)));
    assertArrayEquals(legacy,
        LockCommandCodec.encode(new LockCommand.Release("a", "c", 5, "", 7, 0)));
    assertEquals(new LockCommand.Release("a", "c", 5, "", 7), LockCommandCodec.decode(legacy));
    // Owned by session 3: tag 2 + 16, the session id (zigzag 6) right after the tag.
    byte[] owned = {1, 18, 6, 1, 'a', 1, 'c', 10, 0, 14};
    assertArrayEquals(owned,
        LockCommandCodec.encode(new LockCommand.Release("a", "c", 5, "", 7, 3)));
    assertEquals(new LockCommand.Release("a", "c", 5, "", 7, 3), LockCommandCodec.decode(owned));
    // A session tag with session id 0 would be a second encoding of a client-owned command.
    byte[] zeroSession = {1, 18, 0, 1, 'a', 1, 'c', 10, 0, 14};
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(zeroSession));
    // OpenSession("w", ttl 1000 = zigzag 2000 = varint D0 0F, no metadata, time 7).
    assertArrayEquals(new byte[] {1, 9, 1, 'w', (byte) 0xD0, 0x0F, 0, 14},
        LockCommandCodec.encode(new LockCommand.OpenSession("w", 1_000, null, 7)));
    assertArrayEquals(new byte[] {1, 10, 6, 14},
        LockCommandCodec.encode(new LockCommand.KeepAlive(3, 7)));
    // Numbered 4, answered below 2: tag 16, zigzag 8 and 4, then the session command unchanged.
    byte[] sequenced = {1, 16, 8, 4, 18, 6, 1, 'a', 1, 'c', 10, 0, 14};
    LockCommand.Sequenced numbered = new LockCommand.Sequenced(4, 2, new LockCommand.Release("a", "c", 5, "", 7, 3));
    assertArrayEquals(sequenced, LockCommandCodec.encode(numbered));
    assertEquals(numbered, LockCommandCodec.decode(sequenced));
    // It wraps only a session's command: not a client-owned one, not another numbered one.
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(new byte[] {1, 16, 8, 4, 2, 1, 'a', 1, 'c', 10, 0, 14}));
    assertThrows(LockCodecException.class, () -> LockCommandCodec.decode(new byte[] {1, 16, 8, 4, 16, 8, 4, 18, 6, 1, 'a', 1, 'c', 10, 0, 14}));
    assertThrows(IllegalArgumentException.class, () -> new LockCommand.Sequenced(4, 2, new LockCommand.Release("a", "c", 5, "", 7)));
    assertArrayEquals(new byte[] {1, 11, 6, 14},
        LockCommandCodec.encode(new LockCommand.CloseSession(3, 7)));
  }

  @Test
  void fingerprintsIgnoreIdsAndTimeButNotTheCommand() {
    LockCommand.Acquire a = new LockCommand.Acquire("a", "c", 1_000, false, 0, 0, null, "r1", 5);
    long fp = CommandFingerprint.of(a);
    assertEquals(fp, CommandFingerprint.of(
        new LockCommand.Acquire("a", "other", 1_000, false, 0, 0, null, "r2", 9, 4)));
    assertNotEquals(fp, CommandFingerprint.of(
        new LockCommand.Acquire("b", "c", 1_000, false, 0, 0, null, "r1", 5)));
    assertNotEquals(fp, CommandFingerprint.of(
        new LockCommand.Acquire("a", "c", 2_000, false, 0, 0, null, "r1", 5)));
    assertNotEquals(CommandFingerprint.of(new LockCommand.Release("a", "c", 1, "r", 5)),
        CommandFingerprint.of(new LockCommand.Release("a", "c", 2, "r", 5)));
    assertNotEquals(CommandFingerprint.of(new LockCommand.CancelWait("a", "c", "r", 5)),
        CommandFingerprint.of(new LockCommand.Release("a", "c", 1, "r", 5)));
    assertNotEquals(CommandFingerprint.UNKNOWN, fp);
  }

  @Test
  void encodingIsCompact() {
    byte[] bytes = LockCommandCodec.encode(new LockCommand.Release("lock-1", "client-1", 123456,
        "req-1", 1_700_000_000_000L));
    // 2 header + 3 strings (7+9+6) + token 3 + time 6
    assertEquals(33, bytes.length, () -> List.of(bytes).toString());
  }

  private static int indexOf(byte[] bytes, byte b) {
    for (int i = bytes.length - 1; i >= 0; i--) {
      if (bytes[i] == b) {
        return i;
      }
    }
    throw new AssertionError();
  }
}
