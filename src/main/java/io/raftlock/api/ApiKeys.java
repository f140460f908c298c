package io.raftlock.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * API keys: {@code rlk_<id>_<secret>}, where the id is 16 hex digits (public: it names the key in
 * log entries, listings and revocations) and the secret 256 random bits in base64url. Only the
 * SHA-256 hash of the whole key is stored (in the replicated ACL state); the key itself exists
 * only in the answer that created it. A key of 256 random bits needs no slow hash: nobody can
 * guess a preimage of its hash.
 */
public final class ApiKeys {
  static final String PREFIX = "rlk_";
  static final int ID_HEX_CHARS = 16;
  static final int SECRET_BYTES = 32;
  /** {@code rlk_} + id + {@code _} + 43 base64url characters. */
  static final int KEY_CHARS = PREFIX.length() + ID_HEX_CHARS + 1 + 43;

  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiKeys() {}

  /** A new key, its id and its hash. {@code key} is the secret: show it once, never log it. */
  public record NewKey(String keyId, String key, byte[] hash) {}

  public static NewKey generate() {
    byte[] id = new byte[ID_HEX_CHARS / 2];
    byte[] secret = new byte[SECRET_BYTES];
    RANDOM.nextBytes(id);
    RANDOM.nextBytes(secret);
    String keyId = HexFormat.of().formatHex(id);
    String key = PREFIX + keyId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    return new NewKey(keyId, key, sha256(key));
  }

  /** The id of a well-formed key, or {@code null}. */
  public static String idOf(String key) {
    if (key == null || key.length() != KEY_CHARS || !key.startsWith(PREFIX)
        || key.charAt(PREFIX.length() + ID_HEX_CHARS) != '_') {
      return null;
    }
    String id = key.substring(PREFIX.length(), PREFIX.length() + ID_HEX_CHARS);
    for (int i = 0; i < id.length(); i++) {
      if (Character.digit(id.charAt(i), 16) < 0 || Character.isUpperCase(id.charAt(i))) {
        return null;
      }
    }
    return id;
  }

  /** The key in an {@code Authorization} value ({@code Bearer <key>}), or {@code null}. */
  public static String fromAuthorization(String header) {
    if (header == null) {
      return null;
    }
    String h = header.trim();
    return h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
  }

  public static byte[] sha256(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
