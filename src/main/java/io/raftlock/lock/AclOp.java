package io.raftlock.lock;

import java.util.Arrays;
import java.util.Objects;

/**
 * One change of the access-control state ({@link AclState}), committed through Raft as a
 * {@link LockCommand.Acl}. Secrets never appear here: an API key travels as its public id and the
 * SHA-256 hash of the whole key; the key itself is generated and shown by the node that creates
 * it. Records are immutable (hashes are copied in and out).
 */
public sealed interface AclOp {

  /**
   * Turn auth on with a first administrator in the same entry: the role {@code admin} (admin on
   * every name) is created if missing, {@code principal} is created if missing and given it, and
   * the key is added. Refused when auth is already on, so a replayed enable cannot add a key.
   */
  record Enable(String principal, String keyId, byte[] keyHash) implements AclOp {
    public Enable {
      Objects.requireNonNull(principal, "principal");
      Objects.requireNonNull(keyId, "keyId");
      keyHash = keyHash.clone();
    }

    @Override
    public byte[] keyHash() {
      return keyHash.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Enable e && principal.equals(e.principal) && keyId.equals(e.keyId)
          && Arrays.equals(keyHash, e.keyHash);
    }

    @Override
    public int hashCode() {
      return Objects.hash(principal, keyId, Arrays.hashCode(keyHash));
    }
  }

  /** Turn auth off; principals, roles and keys are kept for the next enable. */
  record Disable() implements AclOp {}

  record CreatePrincipal(String name) implements AclOp {
    public CreatePrincipal {
      Objects.requireNonNull(name, "name");
    }
  }

  /** Deletes the principal and every key of it; its holdings stay until released or expired. */
  record DeletePrincipal(String name) implements AclOp {
    public DeletePrincipal {
      Objects.requireNonNull(name, "name");
    }
  }

  /** Gives ({@code assign}) or takes away a role. */
  record AssignRole(String principal, String role, boolean assign) implements AclOp {
    public AssignRole {
      Objects.requireNonNull(principal, "principal");
      Objects.requireNonNull(role, "role");
    }
  }

  record CreateRole(String name) implements AclOp {
    public CreateRole {
      Objects.requireNonNull(name, "name");
    }
  }

  /** Deletes the role and takes it from every principal. */
  record DeleteRole(String name) implements AclOp {
    public DeleteRole {
      Objects.requireNonNull(name, "name");
    }
  }

  /** Adds ({@code add}) or removes one rule of a role. */
  record ChangeGrant(String role, AclGrant grant, boolean add) implements AclOp {
    public ChangeGrant {
      Objects.requireNonNull(role, "role");
      Objects.requireNonNull(grant, "grant");
    }
  }

  /** A new key of {@code principal}: its public id and the SHA-256 hash of the whole key. */
  record CreateKey(String keyId, String principal, byte[] keyHash) implements AclOp {
    public CreateKey {
      Objects.requireNonNull(keyId, "keyId");
      Objects.requireNonNull(principal, "principal");
      keyHash = keyHash.clone();
    }

    @Override
    public byte[] keyHash() {
      return keyHash.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof CreateKey k && keyId.equals(k.keyId) && principal.equals(k.principal)
          && Arrays.equals(keyHash, k.keyHash);
    }

    @Override
    public int hashCode() {
      return Objects.hash(keyId, principal, Arrays.hashCode(keyHash));
    }
  }

  /** Revokes a key: every entry naming it from the next index on is refused. */
  record RevokeKey(String keyId) implements AclOp {
    public RevokeKey {
      Objects.requireNonNull(keyId, "keyId");
    }
  }
}
