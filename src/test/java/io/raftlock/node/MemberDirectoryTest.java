package io.raftlock.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.raft.ConfigChangeResult;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemberDirectoryTest {
  @TempDir Path dir;

  @Test
  void savedBookLoadsBackAndALaterPeerAddressKeepsTheKnownClientAddress() {
    MemberDirectory book = new MemberDirectory(Map.of("n1", new MemberDirectory.Addresses("h1:7001", "h1:8001")));
    assertTrue(book.put("n4", new MemberDirectory.Addresses("h4:7004", "h4:8004")));
    assertFalse(book.put("n4", new MemberDirectory.Addresses("h4:7004", "h4:8004")), "no change");
    assertFalse(book.put("n4", new MemberDirectory.Addresses("h4:7004", null)), "client address kept");
    assertEquals("h4:8004", book.get("n4").clientAddress());
    book.save(dir);
    assertEquals(book.snapshot(), new MemberDirectory(MemberDirectory.load(dir)).snapshot());
    assertEquals(Map.of(), MemberDirectory.load(dir.resolve("none")));
  }

  @Test
  void aCorruptBookFailsLoudly() throws Exception {
    Files.writeString(dir.resolve(MemberDirectory.FILE), "{not json");
    assertThrows(UncheckedIOException.class, () -> MemberDirectory.load(dir));
  }

  @Test
  void refusalsThatMaySucceedLaterAreRetryable() {
    assertTrue(new MembershipException(ConfigChangeResult.Status.CHANGE_IN_PROGRESS, null).retryable());
    assertTrue(new MembershipException(ConfigChangeResult.Status.NOT_LEADER, "n2").retryable());
    assertFalse(new MembershipException(ConfigChangeResult.Status.ALREADY_MEMBER, null).retryable());
    assertFalse(new MembershipException(ConfigChangeResult.Status.LAST_VOTER, null).retryable());
    assertThrows(IllegalArgumentException.class,
        () -> new MembershipException(ConfigChangeResult.Status.ACCEPTED, null));
  }
}
