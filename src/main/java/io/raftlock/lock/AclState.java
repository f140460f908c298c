package io.raftlock.lock;

import java.security.MessageDigest;
import java.util.Collections;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The committed access-control state: whether auth is on, roles (sets of {@link AclGrant}s),
 * principals (sets of role names) and API keys (public id → principal and SHA-256 hash of the
 * key). Immutable: every change ({@link #apply}) makes a new value, so a node can publish the
 * current one to its API threads by reference. Sorted maps only, so the encoding is canonical.
 *
 * <p>The permission rule ({@link #check}): among the grants of the principal's roles that speak
 * about the requested permission ({@link AclGrant#applies}) and whose prefix starts the name, the
 * longest prefix decides; at that length an explicit deny beats an allow; no such grant denies.
 */
public final class AclState {
  /** Bounds on each collection, so that the state and its snapshots stay small. */
  static final int MAX_PRINCIPALS = 4096;
  static final int MAX_ROLES = 1024;
  static final int MAX_KEYS = 8192;
  static final int MAX_GRANTS_PER_ROLE = 256;
  static final int MAX_NAME_LENGTH = 128;
  static final int MAX_KEY_ID_LENGTH = 64;
  static final int KEY_HASH_BYTES = 32;
  /** The role {@link AclOp.Enable} creates: admin on every name. */
  public static final String ADMIN_ROLE = "admin";

  public static final AclState EMPTY = new AclState(false, new TreeMap<>(), new TreeMap<>(),
      new TreeMap<>());

  /** One API key as stored: never the key itself, only its SHA-256 hash. */
  public record ApiKey(String keyId, String principal, byte[] hash) {
    public ApiKey {
      hash = hash.clone();
    }

    @Override
    public byte[] hash() {
      return hash.clone();
    }
  }

  /** The outcome of a check: allowed, or the refusal's reason for the caller. */
  public record Decision(boolean allowed, String reason) {
    static final Decision ALLOW = new Decision(true, "");
  }

  /** The outcome of {@link #apply}: the new state, or the problem (and the state unchanged). */
  record Result(AclState state, String problem) {}

  final boolean enabled;
  final SortedMap<String, SortedSet<AclGrant>> roles;
  final SortedMap<String, SortedSet<String>> principals;
  final SortedMap<String, ApiKey> keys;

  AclState(boolean enabled, SortedMap<String, SortedSet<AclGrant>> roles,
      SortedMap<String, SortedSet<String>> principals, SortedMap<String, ApiKey> keys) {
    this.enabled = enabled;
    this.roles = roles;
    this.principals = principals;
    this.keys = keys;
  }

  public boolean enabled() {
    return enabled;
  }

  /** Roles by name, each with its grants in canonical order (read-only). */
  public SortedMap<String, SortedSet<AclGrant>> roles() {
    return Collections.unmodifiableSortedMap(roles);
  }

  /** Principals by name, each with its role names (read-only). */
  public SortedMap<String, SortedSet<String>> principals() {
    return Collections.unmodifiableSortedMap(principals);
  }

  /** Keys by id (read-only); they carry hashes only. */
  public SortedMap<String, ApiKey> keys() {
    return Collections.unmodifiableSortedMap(keys);
  }

  /** The principal of key {@code keyId}, or {@code null} when there is no such key (revoked). */
  public String principalOfKey(String keyId) {
    ApiKey k = keys.get(keyId);
    return k == null ? null : k.principal();
  }

  /**
   * The principal of the key whose id is {@code keyId} if {@code presentedHash} is its hash,
   * compared in constant time; {@code null} otherwise.
   */
  public String authenticate(String keyId, byte[] presentedHash) {
    ApiKey k = keys.get(keyId);
    if (k == null || !MessageDigest.isEqual(k.hash, presentedHash)) {
      return null;
    }
    return k.principal();
  }

  /** Whether {@code principal} may use {@code permission} on the lock name {@code name}. */
  public Decision check(String principal, Permission permission, String name) {
    SortedSet<String> roleNames = principals.get(principal);
    int bestLength = -1;
    AclGrant decisive = null;
    String decisiveRole = null;
    if (roleNames != null) {
      for (String role : roleNames) {
        for (AclGrant g : roles.getOrDefault(role, Collections.emptySortedSet())) {
          if (!g.applies(permission, name)) {
            continue;
          }
          int length = g.prefix().length();
          if (length > bestLength || (length == bestLength && g.deny() && !decisive.deny())) {
            bestLength = length;
            decisive = g;
            decisiveRole = role;
          }
        }
      }
    }
    if (decisive != null && !decisive.deny()) {
      return Decision.ALLOW;
    }
    String what = "principal " + principal + " lacks '" + permission.wireName() + "' on '" + name + "'";
    return new Decision(false, decisive == null
        ? what + ": no role grants it (default deny; grant '" + permission.wireName()
            + "' on a prefix of '" + name + "')"
        : what + ": role " + decisiveRole + " denies it on prefix '"
            + AclGrant.display(decisive.prefix()) + "'");
  }

  /** The state after {@code op}, or the reason it is refused (then nothing changes). */
  Result apply(AclOp op) {
    String problem = AclChanges.problem(this, op);
    return problem != null ? new Result(this, problem) : new Result(AclChanges.after(this, op), null);
  }

  // -------------------------------------------------------------- copy on write

  AclState withEnabled(boolean on) {
    return new AclState(on, roles, principals, keys);
  }

  AclState withRoles(SortedMap<String, SortedSet<AclGrant>> r) {
    return new AclState(enabled, r, principals, keys);
  }

  AclState withPrincipals(SortedMap<String, SortedSet<String>> p) {
    return new AclState(enabled, roles, p, keys);
  }

  AclState withKeys(SortedMap<String, ApiKey> k) {
    return new AclState(enabled, roles, principals, k);
  }

  static <K, V> TreeMap<K, V> copy(SortedMap<K, V> m) {
    return new TreeMap<>(m);
  }

  static <T> SortedSet<T> copyPlus(SortedSet<T> s, T added) {
    TreeSet<T> c = s == null ? new TreeSet<>() : new TreeSet<>(s);
    c.add(added);
    return Collections.unmodifiableSortedSet(c);
  }

  static <T> SortedSet<T> copyMinus(SortedSet<T> s, T removed) {
    TreeSet<T> c = new TreeSet<>(s);
    c.remove(removed);
    return Collections.unmodifiableSortedSet(c);
  }
}
