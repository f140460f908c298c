package io.raftlock.lock;

import java.util.Collections;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Binary encoding of {@link AclOp}s (inside {@link LockCommand.Acl} entries) and of the
 * {@link AclState} section of snapshots (version 4).
 *
 * <pre>
 * op     = kind:u8 fields
 *   1 Enable          principal keyId hash
 *   2 Disable
 *   3 CreatePrincipal name          4 DeletePrincipal name
 *   5 AssignRole      principal role assign:bool
 *   6 CreateRole      name          7 DeleteRole name
 *   8 ChangeGrant     role grant add:bool
 *   9 CreateKey       keyId principal hash
 *  10 RevokeKey       keyId
 * grant  = prefix permission:u8 (1 read, 2 lock, 3 release-any, 4 admin) deny:bool
 * hash   = length:varint bytes
 * state  = enabled:bool
 *          roleCount:v (name grantCount:v grant*)*          (names ascending, grants in order)
 *          principalCount:v (name roleCount:v role*)*       (ascending)
 *          keyCount:v (keyId principal hash)*               (key ids ascending)
 * </pre>
 *
 * <p>Kinds are persisted: never renumber. Decoding throws only {@link LockCodecException}; a
 * state whose principals name unknown roles, or keys unknown principals, is refused.
 */
final class AclCodec {
  private AclCodec() {}

  static void writeOp(ByteWriter w, AclOp op) {
    if (op instanceof AclOp.Enable e) {
      w.writeByte(1);
      w.writeString(e.principal());
      w.writeString(e.keyId());
      writeHash(w, e.keyHash());
    } else if (op instanceof AclOp.Disable) {
      w.writeByte(2);
    } else if (op instanceof AclOp.CreatePrincipal c) {
      writeNamed(w, 3, c.name());
    } else if (op instanceof AclOp.DeletePrincipal d) {
      writeNamed(w, 4, d.name());
    } else if (op instanceof AclOp.AssignRole a) {
      writeNamed(w, 5, a.principal());
      w.writeString(a.role());
      w.writeBoolean(a.assign());
    } else if (op instanceof AclOp.CreateRole c) {
      writeNamed(w, 6, c.name());
    } else if (op instanceof AclOp.DeleteRole d) {
      writeNamed(w, 7, d.name());
    } else if (op instanceof AclOp.ChangeGrant g) {
      writeNamed(w, 8, g.role());
      writeGrant(w, g.grant());
      w.writeBoolean(g.add());
    } else if (op instanceof AclOp.CreateKey k) {
      writeNamed(w, 9, k.keyId());
      w.writeString(k.principal());
      writeHash(w, k.keyHash());
    } else if (op instanceof AclOp.RevokeKey r) {
      writeNamed(w, 10, r.keyId());
    } else {
      throw new IllegalArgumentException("unknown acl op " + op);
    }
  }

  static AclOp readOp(ByteReader r) {
    int kind = r.readByte();
    return switch (kind) {
      case 1 -> new AclOp.Enable(r.readString(), r.readString(), readHash(r));
      case 2 -> new AclOp.Disable();
      case 3 -> new AclOp.CreatePrincipal(r.readString());
      case 4 -> new AclOp.DeletePrincipal(r.readString());
      case 5 -> new AclOp.AssignRole(r.readString(), r.readString(), r.readBoolean());
      case 6 -> new AclOp.CreateRole(r.readString());
      case 7 -> new AclOp.DeleteRole(r.readString());
      case 8 -> new AclOp.ChangeGrant(r.readString(), readGrant(r), r.readBoolean());
      case 9 -> new AclOp.CreateKey(r.readString(), r.readString(), readHash(r));
      case 10 -> new AclOp.RevokeKey(r.readString());
      default -> throw new LockCodecException("unknown acl op kind " + kind);
    };
  }

  static void writeState(ByteWriter w, AclState s) {
    w.writeBoolean(s.enabled);
    w.writeVarLong(s.roles.size());
    s.roles.forEach((name, grants) -> {
      w.writeString(name);
      w.writeVarLong(grants.size());
      grants.forEach(g -> writeGrant(w, g));
    });
    w.writeVarLong(s.principals.size());
    s.principals.forEach((name, roles) -> {
      w.writeString(name);
      w.writeVarLong(roles.size());
      roles.forEach(w::writeString);
    });
    w.writeVarLong(s.keys.size());
    s.keys.values().forEach(k -> {
      w.writeString(k.keyId());
      w.writeString(k.principal());
      writeHash(w, k.hash());
    });
  }

  static AclState readState(ByteReader r) {
    boolean enabled = r.readBoolean();
    TreeMap<String, SortedSet<AclGrant>> roles = new TreeMap<>();
    int roleCount = r.readCount(r.remaining(), "role count");
    for (int i = 0; i < roleCount; i++) {
      String name = r.readString();
      TreeSet<AclGrant> grants = new TreeSet<>();
      int n = r.readCount(r.remaining(), "grant count");
      for (int j = 0; j < n; j++) {
        grants.add(readGrant(r));
      }
      unique(roles.put(name, Collections.unmodifiableSortedSet(grants)), "role " + name);
    }
    TreeMap<String, SortedSet<String>> principals = new TreeMap<>();
    int principalCount = r.readCount(r.remaining(), "principal count");
    for (int i = 0; i < principalCount; i++) {
      String name = r.readString();
      TreeSet<String> names = new TreeSet<>();
      int n = r.readCount(r.remaining(), "principal role count");
      for (int j = 0; j < n; j++) {
        names.add(known(roles, r.readString(), "role"));
      }
      unique(principals.put(name, Collections.unmodifiableSortedSet(names)), "principal " + name);
    }
    return new AclState(enabled, roles, principals, readKeys(r, principals));
  }

  private static SortedMap<String, AclState.ApiKey> readKeys(ByteReader r,
      SortedMap<String, SortedSet<String>> principals) {
    TreeMap<String, AclState.ApiKey> keys = new TreeMap<>();
    int keyCount = r.readCount(r.remaining(), "key count");
    for (int i = 0; i < keyCount; i++) {
      String keyId = r.readString();
      String principal = known(principals, r.readString(), "principal");
      unique(keys.put(keyId, new AclState.ApiKey(keyId, principal, readHash(r))), "key " + keyId);
    }
    return keys;
  }

  private static void writeNamed(ByteWriter w, int kind, String name) {
    w.writeByte(kind);
    w.writeString(name);
  }

  private static void writeGrant(ByteWriter w, AclGrant g) {
    w.writeString(g.prefix());
    w.writeByte(g.permission().code());
    w.writeBoolean(g.deny());
  }

  private static AclGrant readGrant(ByteReader r) {
    return new AclGrant(r.readString(), Permission.ofCode(r.readByte()), r.readBoolean());
  }

  private static void writeHash(ByteWriter w, byte[] hash) {
    w.writeVarLong(hash.length);
    for (byte b : hash) {
      w.writeByte(b);
    }
  }

  private static byte[] readHash(ByteReader r) {
    int n = r.readCount(Math.min(64, r.remaining()), "hash length");
    byte[] hash = new byte[n];
    for (int i = 0; i < n; i++) {
      hash[i] = (byte) r.readByte();
    }
    return hash;
  }

  private static String known(SortedMap<String, ?> names, String name, String what) {
    if (!names.containsKey(name)) {
      throw new LockCodecException("acl state names unknown " + what + " " + name);
    }
    return name;
  }

  private static void unique(Object previous, String what) {
    if (previous != null) {
      throw new LockCodecException("acl state has " + what + " twice");
    }
  }
}
