package io.raftlock.nemesis.check;

import io.raftlock.lock.AclOp;
import io.raftlock.lock.LockCommand;
import java.util.HashMap;
import java.util.Map;

/**
 * The part of the access-control state (docs/security.md) that the {@link ReferenceModel} needs
 * to replay a log written with auth on: whether auth is enabled and which API key ids are live,
 * for which principal. Written from the documentation, sharing no code with the product.
 *
 * <p>Modelled: once enabled, a client command must carry a live key ({@code Authenticated}) or
 * it is refused and changes nothing, not even time; {@code Acl} changes need a live key too.
 * <b>Not modelled:</b> roles and grants — every live key is taken to have the permission its
 * command needs. The nemesis grants its principal {@code lock} and {@code read} on every lock
 * name it uses and sends {@code Acl} changes only with the admin key, so grants never decide
 * there; a product that refused such a command anyway would contradict acknowledged outcomes.
 */
final class ModelAcl {
  private boolean enabled;
  /** Live key id → its principal. */
  private final Map<String, String> keys = new HashMap<>();

  /**
   * The principal of a client command sent with {@code keyId} ({@code null}: no key), "" while
   * auth is off, or {@code null} if the command is refused.
   */
  String caller(String keyId) {
    if (!enabled) {
      return "";
    }
    return keyId == null ? null : keys.get(keyId);
  }

  /** Entries the leader makes on its own are never checked. */
  static boolean internal(LockCommand cmd) {
    return cmd instanceof LockCommand.Expire || cmd instanceof LockCommand.Promote
        || cmd instanceof LockCommand.CancelClientWaits || cmd instanceof LockCommand.Configure;
  }

  /** Applies an allowed change; one that does not fit the state changes nothing. */
  void apply(AclOp op) {
    if (op instanceof AclOp.Enable e) {
      if (!enabled) {
        enabled = true;
        keys.put(e.keyId(), e.principal());
      }
    } else if (op instanceof AclOp.Disable) {
      enabled = false;
    } else if (op instanceof AclOp.CreateKey k) {
      keys.putIfAbsent(k.keyId(), k.principal());
    } else if (op instanceof AclOp.RevokeKey k) {
      keys.remove(k.keyId());
    } else if (op instanceof AclOp.DeletePrincipal p) {
      keys.values().removeIf(p.name()::equals);
    }
  }
}
