package io.raftlock.lock;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * The rules of each {@link AclOp}: {@link #problem} says why an op is refused (checked first,
 * so a refused op changes nothing), {@link #after} computes the new {@link AclState}. Problems
 * name the offending field as the API does.
 */
final class AclChanges {
  private AclChanges() {}

  static String problem(AclState s, AclOp op) {
    if (op instanceof AclOp.Enable e) {
      return firstOf(s.enabled ? "auth is already enabled" : null, name("principal", e.principal()),
          key(s, e.keyId(), e.keyHash()),
          s.principals.containsKey(e.principal()) ? null : principalRoom(s));
    } else if (op instanceof AclOp.Disable) {
      return s.enabled ? null : "auth is not enabled";
    } else if (op instanceof AclOp.CreatePrincipal c) {
      return firstOf(name("principal", c.name()),
          s.principals.containsKey(c.name()) ? "principal " + c.name() + " already exists" : null,
          principalRoom(s));
    } else if (op instanceof AclOp.DeletePrincipal d) {
      return principal(s, d.name());
    } else if (op instanceof AclOp.AssignRole a) {
      return firstOf(principal(s, a.principal()), role(s, a.role()),
          a.assign() || s.principals.get(a.principal()).contains(a.role()) ? null
              : "principal " + a.principal() + " does not have role " + a.role());
    } else if (op instanceof AclOp.CreateRole c) {
      return firstOf(name("role", c.name()),
          s.roles.containsKey(c.name()) ? "role " + c.name() + " already exists" : null,
          s.roles.size() >= AclState.MAX_ROLES ? "too many roles (" + AclState.MAX_ROLES + ")" : null);
    } else if (op instanceof AclOp.DeleteRole d) {
      return role(s, d.name());
    } else if (op instanceof AclOp.ChangeGrant g) {
      return firstOf(role(s, g.role()), grant(s, g));
    } else if (op instanceof AclOp.CreateKey k) {
      return firstOf(principal(s, k.principal()), key(s, k.keyId(), k.keyHash()));
    } else if (op instanceof AclOp.RevokeKey r) {
      return s.keys.containsKey(r.keyId()) ? null : "key_id " + r.keyId() + " does not exist";
    }
    throw new IllegalStateException("no rule for " + op.getClass().getSimpleName());
  }

  private static String principalRoom(AclState s) {
    return s.principals.size() >= AclState.MAX_PRINCIPALS
        ? "too many principals (" + AclState.MAX_PRINCIPALS + ")" : null;
  }

  /** The state after {@code op}, which {@link #problem} accepted. */
  static AclState after(AclState s, AclOp op) {
    if (op instanceof AclOp.Enable e) {
      return enable(s, e);
    } else if (op instanceof AclOp.Disable) {
      return s.withEnabled(false);
    } else if (op instanceof AclOp.CreatePrincipal c) {
      return s.withPrincipals(put(s.principals, c.name(), Collections.emptySortedSet()));
    } else if (op instanceof AclOp.DeletePrincipal d) {
      return deletePrincipal(s, d.name());
    } else if (op instanceof AclOp.AssignRole a) {
      SortedSet<String> had = s.principals.get(a.principal());
      return s.withPrincipals(put(s.principals, a.principal(), a.assign()
          ? AclState.copyPlus(had, a.role()) : AclState.copyMinus(had, a.role())));
    } else if (op instanceof AclOp.CreateRole c) {
      return s.withRoles(put(s.roles, c.name(), Collections.emptySortedSet()));
    } else if (op instanceof AclOp.DeleteRole d) {
      return deleteRole(s, d.name());
    } else if (op instanceof AclOp.ChangeGrant g) {
      SortedSet<AclGrant> had = s.roles.get(g.role());
      return s.withRoles(put(s.roles, g.role(), g.add()
          ? AclState.copyPlus(had, g.grant()) : AclState.copyMinus(had, g.grant())));
    } else if (op instanceof AclOp.CreateKey k) {
      return s.withKeys(put(s.keys, k.keyId(), new AclState.ApiKey(k.keyId(), k.principal(), k.keyHash())));
    }
    TreeMap<String, AclState.ApiKey> keys = AclState.copy(s.keys);
    keys.remove(((AclOp.RevokeKey) op).keyId());
    return s.withKeys(keys);
  }

  private static AclState enable(AclState s, AclOp.Enable e) {
    AclGrant all = new AclGrant("", Permission.ADMIN, false);
    AclState next = s.withRoles(put(s.roles, AclState.ADMIN_ROLE,
        AclState.copyPlus(s.roles.get(AclState.ADMIN_ROLE), all)));
    next = next.withPrincipals(put(next.principals, e.principal(),
        AclState.copyPlus(next.principals.get(e.principal()), AclState.ADMIN_ROLE)));
    next = next.withKeys(put(next.keys, e.keyId(), new AclState.ApiKey(e.keyId(), e.principal(), e.keyHash())));
    return next.withEnabled(true);
  }

  private static AclState deletePrincipal(AclState s, String name) {
    TreeMap<String, SortedSet<String>> principals = AclState.copy(s.principals);
    principals.remove(name);
    TreeMap<String, AclState.ApiKey> keys = new TreeMap<>();
    for (Map.Entry<String, AclState.ApiKey> k : s.keys.entrySet()) {
      if (!k.getValue().principal().equals(name)) {
        keys.put(k.getKey(), k.getValue());
      }
    }
    return s.withPrincipals(principals).withKeys(keys);
  }

  private static AclState deleteRole(AclState s, String name) {
    TreeMap<String, SortedSet<AclGrant>> roles = AclState.copy(s.roles);
    roles.remove(name);
    TreeMap<String, SortedSet<String>> principals = new TreeMap<>();
    for (Map.Entry<String, SortedSet<String>> p : s.principals.entrySet()) {
      principals.put(p.getKey(), p.getValue().contains(name)
          ? AclState.copyMinus(p.getValue(), name) : p.getValue());
    }
    return s.withRoles(roles).withPrincipals(principals);
  }

  private static <K, V> SortedMap<K, V> put(SortedMap<K, V> m, K k, V v) {
    TreeMap<K, V> c = AclState.copy(m);
    c.put(k, v);
    return c;
  }

  private static String grant(AclState s, AclOp.ChangeGrant g) {
    SortedSet<AclGrant> grants = s.roles.get(g.role());
    String prefix = g.grant().prefix();
    if (prefix.length() > LockLimits.MAX_LOCK_ID_LENGTH || hasControl(prefix)) {
      return "prefix must have at most " + LockLimits.MAX_LOCK_ID_LENGTH
          + " characters and no control characters";
    }
    if (g.add()) {
      return grants.size() >= AclState.MAX_GRANTS_PER_ROLE
          ? "role " + g.role() + " has too many grants (" + AclState.MAX_GRANTS_PER_ROLE + ")" : null;
    }
    return grants.contains(g.grant()) ? null
        : "role " + g.role() + " has no grant '" + g.grant() + "'";
  }

  private static String principal(AclState s, String name) {
    return s.principals.containsKey(name) ? null : "principal " + name + " does not exist";
  }

  private static String role(AclState s, String name) {
    return s.roles.containsKey(name) ? null : "role " + name + " does not exist";
  }

  private static String key(AclState s, String keyId, byte[] hash) {
    if (keyId.isEmpty() || keyId.length() > AclState.MAX_KEY_ID_LENGTH || hasControl(keyId)) {
      return "key_id must have 1.." + AclState.MAX_KEY_ID_LENGTH + " characters and no control characters";
    }
    if (hash.length != AclState.KEY_HASH_BYTES) {
      return "key_hash must be a SHA-256 hash (" + AclState.KEY_HASH_BYTES + " bytes), got " + hash.length;
    }
    if (s.keys.containsKey(keyId)) {
      return "key_id " + keyId + " already exists";
    }
    return s.keys.size() >= AclState.MAX_KEYS ? "too many keys (" + AclState.MAX_KEYS + ")" : null;
  }

  /** A principal or role name: 1..128 characters, no whitespace or control characters. */
  static String name(String field, String value) {
    if (value.isEmpty() || value.length() > AclState.MAX_NAME_LENGTH) {
      return field + " must have 1.." + AclState.MAX_NAME_LENGTH + " characters";
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isWhitespace(value.charAt(i)) || Character.isISOControl(value.charAt(i))) {
        return field + " must not contain whitespace or control characters (at " + i + ")";
      }
    }
    return null;
  }

  private static boolean hasControl(String s) {
    return s.chars().anyMatch(Character::isISOControl);
  }

  private static String firstOf(String... problems) {
    for (String p : problems) {
      if (p != null) {
        return p;
      }
    }
    return null;
  }
}
