package io.raftlock.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftlock.client.fencing.FencedResource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FencedResourceTest {
  @Test
  void aWriteWithAStaleTokenIsRefusedAndChangesNothing() {
    FencedResource<List<String>> log = new FencedResource<>(List.of());
    log.write(5, l -> append(l, "holder-5"));
    log.write(5, l -> append(l, "holder-5 again")); // one holding may write many times
    log.write(9, l -> append(l, "holder-9"));
    FencedResource.StaleTokenException e = assertThrows(FencedResource.StaleTokenException.class,
        () -> log.write(5, l -> append(l, "late write of the paused holder-5")));
    assertEquals(5, e.token());
    assertEquals(9, e.highest());
    assertEquals(List.of("holder-5", "holder-5 again", "holder-9"), log.value());
    assertEquals(9, log.highestToken());
    assertEquals(3, log.acceptedWrites());
    assertEquals(1, log.refusedWrites());
    assertFalse(log.accepts(8));
    assertTrue(log.accepts(9));
  }

  @Test
  void nonPositiveTokensAreInvalidAndAFailingUpdateChangesNothing() {
    FencedResource<String> r = new FencedResource<>("v0");
    assertThrows(IllegalArgumentException.class, () -> r.set(0, "x"));
    assertThrows(IllegalArgumentException.class, () -> r.set(-3, "x"));
    assertThrows(IllegalStateException.class, () -> r.write(7, old -> {
      throw new IllegalStateException("update failed");
    }));
    assertEquals("v0", r.value());
    assertEquals(0, r.highestToken(), "a failed update does not raise the fence");
    assertEquals("v1", r.set(1, "v1"));
  }

  private static List<String> append(List<String> l, String s) {
    List<String> out = new ArrayList<>(l);
    out.add(s);
    return out;
  }
}
