package io.raftlock.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Every command and reply type is handled by every step a replica takes, so that a type added
 * later fails here (and `withTimeMs` fails to compile) instead of
 * falling into another type's branch on some node: a rolling upgrade must never diverge on it.
 */
class EveryKindTest {
  static final List<LockCommand> ONE_OF_EACH = List.of(
      new LockCommand.Acquire("l", "c", 10_000, true, 5_000, 1, new TreeMap<>(Map.of("k", "v")), "r1", Cmds.T0),
      new LockCommand.Release("l", "c", 1, "r2", Cmds.T0),
      new LockCommand.Renew("l", "c", 1, 10_000, "r3", Cmds.T0),
      new LockCommand.EnqueueWaiter("l", "d", 5_000, 0, "r4", Cmds.T0),
      new LockCommand.CancelWait("l", "d", "r5", Cmds.T0),
      new LockCommand.CancelClientWaits("d", Cmds.T0),
      new LockCommand.Expire(Cmds.T0),
      new LockCommand.Promote(Cmds.T0),
      new LockCommand.OpenSession("s", 10_000, new TreeMap<>(Map.of("k", "v")), Cmds.T0), // index 9: session 9
      new LockCommand.KeepAlive(9, Cmds.T0),
      new LockCommand.Sequenced(2, 1, new LockCommand.Acquire("n", "", 0, false, 0, 0, null, "r6", Cmds.T0, 9)),
      new LockCommand.CloseSession(9, Cmds.T0),
      new LockCommand.Acl(new AclOp.CreateRole("r"), Cmds.T0),
      new LockCommand.Configure(new LockStateMachine.Config(5, 60_000, 10, 3), Cmds.T0),
      new LockCommand.Authenticated("k1", new LockCommand.Acquire("m", "c", 10_000, false, 0, 0,
          new TreeMap<>(), "", Cmds.T0)));

  /** The concrete types of a sealed hierarchy (sealed sub-interfaces such as SessionOwned expanded). */
  private static Set<Class<?>> permitted(Class<?> sealed) {
    Set<Class<?>> types = new java.util.HashSet<>();
    for (Class<?> c : sealed.getPermittedSubclasses()) {
      if (c.isInterface()) {
        types.addAll(permitted(c));
      } else {
        types.add(c);
      }
    }
    return types;
  }

  private static Set<Class<?>> classesOf(List<?> values) {
    return values.stream().map(Object::getClass).collect(Collectors.toSet());
  }

  @Test
  void theSamplesCoverEveryType() {
    assertEquals(permitted(LockCommand.class), classesOf(ONE_OF_EACH), "add a sample of the new command");
    assertEquals(permitted(LockReply.class), classesOf(LockReplyCodecTest.EVERY_KIND), "add a sample of the new reply");
  }

  @Test
  void stampingKeepsTheTypeAndEverythingButTheTime() {
    for (LockCommand cmd : ONE_OF_EACH) {
      LockCommand stamped = cmd.withTimeMs(Cmds.T0 + 7);
      assertEquals(cmd.getClass(), stamped.getClass());
      assertEquals(Cmds.T0 + 7, stamped.timeMs());
      assertEquals(cmd, stamped.withTimeMs(Cmds.T0));
    }
  }

  @Test
  void everyCommandIsEncodedValidatedAndApplied() {
    LockStateMachine sm = new LockStateMachine();
    long index = 0;
    for (LockCommand cmd : ONE_OF_EACH) {
      assertEquals(cmd, LockCommandCodec.decode(LockCommandCodec.encode(cmd)));
      assertNull(CommandValidator.validate(cmd), () -> cmd + " is valid");
      LockReply reply = sm.apply(++index, cmd).reply();
      assertEquals(reply, LockReplyCodec.decode(LockReplyCodec.encode(reply)));
    }
  }

  @Test
  void onlyClientCommandsCarryARequestId() {
    List<String> withKey = ONE_OF_EACH.stream()
        .filter(c -> c instanceof LockCommand.SessionOwned o && !o.requestId().isEmpty())
        .map(c -> c.getClass().getSimpleName()).sorted().toList();
    assertEquals(Arrays.asList("Acquire", "CancelWait", "EnqueueWaiter", "Release", "Renew"), withKey);
  }
}
