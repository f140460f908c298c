package io.raftlock.lock;

import java.util.Comparator;
import java.util.Objects;

/**
 * One rule of a role: {@code permission} on every lock name that starts with {@code prefix}
 * (the empty prefix, shown as {@code *}, covers every name), allowed or explicitly denied.
 */
public record AclGrant(String prefix, Permission permission, boolean deny)
    implements Comparable<AclGrant> {
  private static final Comparator<AclGrant> ORDER = Comparator.comparing(AclGrant::prefix)
      .thenComparing(AclGrant::permission).thenComparing(AclGrant::deny);

  public AclGrant {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(permission, "permission");
  }

  /**
   * Whether this grant speaks about {@code requested} on {@code name}: an allow of P about every
   * permission P implies, a deny of P about every permission that implies P (denying
   * {@code lock} also denies {@code release-any} and {@code admin} there, never {@code read}).
   */
  boolean applies(Permission requested, String name) {
    if (!name.startsWith(prefix)) {
      return false;
    }
    return deny ? requested.covers(permission) : permission.covers(requested);
  }

  /** The prefix as users write it: {@code *} for the empty prefix, else the prefix + {@code *}. */
  public static String display(String prefix) {
    return prefix + "*";
  }

  /** The prefix a user wrote: {@code *} and a trailing {@code *} stand for "anything after". */
  public static String parsePrefix(String written) {
    return written.endsWith("*") ? written.substring(0, written.length() - 1) : written;
  }

  @Override
  public int compareTo(AclGrant o) {
    return ORDER.compare(this, o);
  }

  @Override
  public String toString() {
    return (deny ? "deny " : "allow ") + permission.wireName() + " on " + display(prefix);
  }
}
