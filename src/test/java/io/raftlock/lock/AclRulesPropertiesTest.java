package io.raftlock.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The permission rules as properties of {@link AclState#check}, each stated without re-deriving
 * the algorithm: default deny, the most specific prefix decides, an explicit deny beats an allow
 * on the same prefix, grants on other names change nothing, and how grants are split into roles
 * does not matter. Names and prefixes come from a small alphabet so that prefixes overlap often.
 */
class AclRulesPropertiesTest {

  @Provide
  Arbitrary<String> names() {
    return Arbitraries.strings().withChars("ab/").ofMinLength(0).ofMaxLength(5);
  }

  @Provide
  Arbitrary<AclGrant> grants() {
    return Combinators.combine(names(), Arbitraries.of(Permission.class), Arbitraries.of(true, false))
        .as(AclGrant::new);
  }

  @Provide
  Arbitrary<List<AclGrant>> grantLists() {
    return grants().list().ofMaxSize(8);
  }

  /** One principal "p" with the grants spread over {@code roles} roles, round robin. */
  static AclState withGrants(List<AclGrant> grants, int roles) {
    AclState s = AclState.EMPTY;
    s = ok(s, new AclOp.CreatePrincipal("p"));
    for (int r = 0; r < roles; r++) {
      s = ok(s, new AclOp.CreateRole("r" + r));
      s = ok(s, new AclOp.AssignRole("p", "r" + r, true));
    }
    for (int i = 0; i < grants.size(); i++) {
      AclOp.ChangeGrant add = new AclOp.ChangeGrant("r" + (i % roles), grants.get(i), true);
      s = s.apply(add).state(); // a duplicate grant is a no-op
    }
    return s;
  }

  private static AclState ok(AclState s, AclOp op) {
    AclState.Result r = s.apply(op);
    assertEquals(null, r.problem(), op::toString);
    return r.state();
  }

  private static boolean allowed(AclState s, Permission p, String name) {
    return s.check("p", p, name).allowed();
  }

  @Property(tries = 500)
  void withoutACoveringGrantEverythingIsDenied(@ForAll("grantLists") List<AclGrant> grants,
      @ForAll Permission p, @ForAll("names") String name) {
    List<AclGrant> allowsOnly = grants.stream().filter(g -> !g.deny()).toList();
    AclState s = withGrants(allowsOnly, 2);
    boolean anyCovers = allowsOnly.stream().anyMatch(g -> g.permission().covers(p) && name.startsWith(g.prefix()));
    assertEquals(anyCovers, allowed(s, p, name));
  }

  @Property(tries = 500)
  void aGrantOnALongerPrefixOfTheNameDecides(@ForAll("grantLists") List<AclGrant> grants,
      @ForAll Permission p, @ForAll("names") String name, @ForAll boolean deny) {
    int longest = grants.stream().filter(g -> g.applies(p, name))
        .mapToInt(g -> g.prefix().length()).max().orElse(-1);
    if (longest >= name.length()) {
      return; // no longer prefix of the name exists
    }
    List<AclGrant> more = new ArrayList<>(grants);
    more.add(new AclGrant(name.substring(0, longest + 1), p, deny));
    assertEquals(!deny, allowed(withGrants(more, 3), p, name));
  }

  @Property(tries = 500)
  void aDenyOnTheDecidingPrefixBeatsAnyAllow(@ForAll("grantLists") List<AclGrant> grants,
      @ForAll Permission p, @ForAll("names") String name) {
    int longest = grants.stream().filter(g -> g.applies(p, name))
        .mapToInt(g -> g.prefix().length()).max().orElse(0);
    List<AclGrant> more = new ArrayList<>(grants);
    more.add(new AclGrant(name.substring(0, longest), p, false));
    more.add(new AclGrant(name.substring(0, longest), p, true));
    assertFalse(allowed(withGrants(more, 2), p, name));
  }

  @Property(tries = 500)
  void grantsOnOtherNamesChangeNothing(@ForAll("grantLists") List<AclGrant> grants,
      @ForAll("grantLists") List<AclGrant> elsewhere, @ForAll Permission p, @ForAll("names") String name) {
    List<AclGrant> more = new ArrayList<>(grants);
    elsewhere.forEach(g -> more.add(new AclGrant(name + "x" + g.prefix(), g.permission(), g.deny())));
    assertEquals(allowed(withGrants(grants, 1), p, name), allowed(withGrants(more, 1), p, name));
  }

  @Property(tries = 500)
  void howGrantsAreSplitIntoRolesDoesNotMatter(@ForAll("grantLists") List<AclGrant> grants,
      @ForAll Permission p, @ForAll("names") String name, @ForAll @IntRange(min = 2, max = 4) int roles) {
    assertEquals(allowed(withGrants(grants, 1), p, name), allowed(withGrants(grants, roles), p, name));
  }

  @Test
  void adminCoversEverythingAndReleaseAnyCoversLock() {
    AclState s = withGrants(List.of(new AclGrant("", Permission.ADMIN, false),
        new AclGrant("secret/", Permission.LOCK, true)), 1);
    assertTrue(allowed(s, Permission.READ, "secret/a"));
    assertFalse(allowed(s, Permission.LOCK, "secret/a"));
    assertTrue(allowed(s, Permission.LOCK, "public/a"));
    AclState r = withGrants(List.of(new AclGrant("jobs/", Permission.RELEASE_ANY, false)), 1);
    assertTrue(allowed(r, Permission.LOCK, "jobs/a"));
    assertFalse(allowed(r, Permission.READ, "jobs/a"));
  }

  @Test
  void aDenyReachesThePermissionsThatImplyItAndNoOthers() {
    AclState s = withGrants(List.of(new AclGrant("", Permission.ADMIN, false),
        new AclGrant("jobs/", Permission.RELEASE_ANY, true)), 1);
    assertTrue(allowed(s, Permission.LOCK, "jobs/a"), "denying release-any leaves lock");
    assertFalse(allowed(s, Permission.RELEASE_ANY, "jobs/a"));
    assertFalse(allowed(s, Permission.ADMIN, "jobs/a"));
    AclState t = withGrants(List.of(new AclGrant("", Permission.ADMIN, false),
        new AclGrant("jobs/", Permission.LOCK, true)), 1);
    assertFalse(allowed(t, Permission.RELEASE_ANY, "jobs/a"), "denying lock denies release-any");
    assertTrue(allowed(t, Permission.READ, "jobs/a"));
  }

  @Test
  void aRefusalNamesThePermissionAndTheDecidingPrefix() {
    AclState s = withGrants(List.of(new AclGrant("jobs/", Permission.LOCK, false),
        new AclGrant("jobs/secret/", Permission.LOCK, true)), 1);
    String reason = s.check("p", Permission.LOCK, "jobs/secret/x").reason();
    assertTrue(reason.contains("'lock'") && reason.contains("'jobs/secret/*'"), reason);
    String none = s.check("p", Permission.LOCK, "other/b").reason();
    assertTrue(none.contains("'lock'") && none.contains("other/b") && none.contains("default deny"), none);
    assertFalse(s.check("nobody", Permission.LOCK, "jobs/a").allowed());
  }

  @Test
  void keysAreComparedByHashOnly() {
    AclState s = ok(withGrants(List.of(), 1), new AclOp.CreateKey("k1", "p", AuthApplyTest.sha256("s1")));
    assertEquals("p", s.authenticate("k1", AuthApplyTest.sha256("s1")));
    assertEquals(null, s.authenticate("k1", AuthApplyTest.sha256("s2")));
    assertEquals(null, s.authenticate("k2", AuthApplyTest.sha256("s1")));
    assertEquals("p", s.principalOfKey("k1"));
    assertEquals(null, ok(s, new AclOp.DeletePrincipal("p")).principalOfKey("k1"), "keys go with their principal");
  }

  @Test
  void badChangesAreRefusedAndChangeNothing() {
    AclState s = withGrants(List.of(), 1);
    for (AclOp bad : List.of(new AclOp.CreatePrincipal("p"), new AclOp.CreatePrincipal("has space"),
        new AclOp.AssignRole("p", "missing", true), new AclOp.CreateKey("k", "p", new byte[5]),
        new AclOp.RevokeKey("missing"), new AclOp.Disable(),
        new AclOp.ChangeGrant("r0", new AclGrant("x", Permission.READ, false), false))) {
      AclState.Result r = s.apply(bad);
      assertTrue(r.problem() != null, bad::toString);
      assertTrue(r.state() == s, bad::toString);
    }
  }

  @Test
  void theStateRoundTripsThroughItsEncoding() {
    AclState s = ok(withGrants(List.of(new AclGrant("a/", Permission.LOCK, false),
        new AclGrant("", Permission.READ, true)), 2), new AclOp.CreateKey("k1", "p", AuthApplyTest.sha256("s")));
    ByteWriter w = new ByteWriter(16);
    AclCodec.writeState(w, s);
    byte[] bytes = w.toByteArray();
    AclState back = AclCodec.readState(new ByteReader(bytes, 0, bytes.length));
    ByteWriter again = new ByteWriter(16);
    AclCodec.writeState(again, back);
    assertEquals(java.util.Arrays.toString(bytes), java.util.Arrays.toString(again.toByteArray()));
    assertEquals(s.principals(), back.principals());
    assertEquals(s.roles(), back.roles());
  }
}
