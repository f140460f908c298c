package io.raftlock.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.raftlock.lock.LockLimits;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Generators of valid and invalid request field values. Invalid values break exactly one rule
 * (empty, too long, unpaired surrogate, control character, out of range, malformed), so that the
 * field a validator must name is known.
 */
final class Gen {
  private Gen() {}

  /** A request that breaks exactly one rule, and the field the validator must name. */
  record Invalid<T>(T request, String field) {}

  static final String EMOJI = "\uD83D\uDE00"; // one code point, two UTF-16 chars

  // ---------------------------------------------------------------- valid values

  /** Printable text of {@code min..max} UTF-16 chars: ASCII, Latin/Greek/Cyrillic, CJK, emoji. */
  static Arbitrary<String> text(int min, int max) {
    Arbitrary<String> plain = plain(min, max);
    Arbitrary<String> withEmoji = Combinators.combine(
            plain(0, Math.max(0, max - 2)), Arbitraries.integers().between(0, Integer.MAX_VALUE))
        .as((s, pos) -> {
          int i = pos % (s.length() + 1);
          return s.substring(0, i) + EMOJI + s.substring(i);
        });
    Arbitrary<String> full = Arbitraries.strings().withCharRange('a', 'z').ofLength(max);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(8, plain),
        net.jqwik.api.Tuple.of(max >= 2 ? 1 : 0, withEmoji),
        net.jqwik.api.Tuple.of(1, full));
  }

  private static Arbitrary<String> plain(int min, int max) {
    return Arbitraries.strings()
        .withCharRange(' ', '~')
        .withCharRange('\u00a0', '\u04ff')
        .withCharRange('\u4e00', '\u4fff')
        .ofMinLength(min)
        .ofMaxLength(max);
  }

  static Arbitrary<String> id(int max) {
    return text(1, max);
  }

  static Arbitrary<String> lockId() {
    return id(LockLimits.MAX_LOCK_ID_LENGTH);
  }

  static Arbitrary<String> clientId() {
    return id(LockLimits.MAX_CLIENT_ID_LENGTH);
  }

  static Arbitrary<String> requestId() {
    return text(0, LockLimits.MAX_REQUEST_ID_LENGTH);
  }

  /** Whole milliseconds in range, plus a sub-millisecond part that conversion truncates. */
  static Arbitrary<Duration> duration(long minMs, long maxMs) {
    return Combinators.combine(
            Arbitraries.longs().between(minMs, maxMs),
            Arbitraries.integers().between(0, 999_999))
        .as((ms, subMs) -> {
          long nanos = (ms % 1000) * 1_000_000 + (ms == maxMs ? 0 : subMs);
          return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) nanos).build();
        });
  }

  static Arbitrary<Duration> ttl() {
    return duration(LockLimits.MIN_TTL_MS, LockLimits.MAX_TTL_MS);
  }

  static Arbitrary<Duration> waitTimeout() {
    return duration(LockLimits.MIN_WAIT_TIMEOUT_MS, LockLimits.MAX_WAIT_TIMEOUT_MS);
  }

  static Arbitrary<Integer> priority() {
    return Arbitraries.integers().between(LockLimits.MIN_PRIORITY, LockLimits.MAX_PRIORITY);
  }

  static Arbitrary<Long> token() {
    return Arbitraries.longs().between(1, Long.MAX_VALUE);
  }

  /** Metadata within the limits; values may contain control characters (they are data). */
  static Arbitrary<Map<String, String>> metadata() {
    return metadata(LockLimits.MAX_METADATA_ENTRIES);
  }

  /** Like {@link #metadata()} with at most {@code maxEntries} entries (cheaper to generate). */
  static Arbitrary<Map<String, String>> metadata(int maxEntries) {
    Arbitrary<String> values = Arbitraries.oneOf(
        text(0, LockLimits.MAX_METADATA_VALUE_LENGTH),
        Arbitraries.strings().withCharRange('\u0000', '\u00ff').ofMaxLength(40));
    return Arbitraries.maps(id(LockLimits.MAX_METADATA_KEY_LENGTH), values)
        .ofMaxSize(maxEntries);
  }

  static Arbitrary<Long> timeMs() {
    return Arbitraries.longs().between(0, LockLimits.MAX_TIME_MS);
  }

  static Arbitrary<Timestamp> timestamp() {
    return Arbitraries.longs().between(-62_135_596_800L, 253_402_300_799L)
        .map(s -> Timestamp.newBuilder().setSeconds(s).build());
  }

  // ---------------------------------------------------------------- invalid values

  /** A required id that is empty, too long, or carries an unpaired surrogate or a control char. */
  static Arbitrary<String> badId(int max) {
    return Arbitraries.oneOf(Arbitraries.just(""), badText(max));
  }

  /** Text (possibly empty when valid) that is too long or not well-formed / has control chars. */
  static Arbitrary<String> badText(int max) {
    return Arbitraries.oneOf(tooLong(max), withSurrogate(text(0, max)), withControl(text(0, max)));
  }

  static Arbitrary<String> tooLong(int max) {
    return Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('a', 'z').ofMinLength(max + 1).ofMaxLength(max + 300),
        Arbitraries.strings().withCharRange('a', 'z').ofLength(max + 1),
        Arbitraries.strings().withCharRange('a', 'z').ofLength(max - 1).map(s -> s + EMOJI));
  }

  /**
   * Inserts one lone surrogate. Inserting a single surrogate anywhere into well-formed text
   * always leaves a surrogate unpaired (either the inserted one or the high one it splits off).
   */
  static Arbitrary<String> withSurrogate(Arbitrary<String> base) {
    return insert(base, Arbitraries.chars().range('\uD800', '\uDFFF'));
  }

  /** Inserts one C0, DEL or C1 control character. */
  static Arbitrary<String> withControl(Arbitrary<String> base) {
    return insert(base, Arbitraries.oneOf(
        Arbitraries.chars().range('\u0000', '\u001f'),
        Arbitraries.just('\u007f'),
        Arbitraries.chars().range('\u0080', '\u009f')));
  }

  private static Arbitrary<String> insert(Arbitrary<String> base, Arbitrary<Character> chars) {
    return Combinators.combine(base, chars, Arbitraries.integers().between(0, Integer.MAX_VALUE))
        .as((s, c, pos) -> {
          int i = pos % (s.length() + 1);
          return s.substring(0, i) + c + s.substring(i);
        });
  }

  /** A Duration that is malformed or outside {@code [minMs, maxMs]} once truncated to ms. */
  static Arbitrary<Duration> badDuration(long minMs, long maxMs) {
    Arbitrary<Duration> below = Arbitraries.longs().between(-10 * maxMs, minMs - 1)
        .map(ApiMapper::durationOfMillis);
    Arbitrary<Duration> justBelow = Arbitraries.integers().between(0, 999_999).map(n ->
        ApiMapper.durationOfMillis(minMs - 1).toBuilder()
            .setNanos(ApiMapper.durationOfMillis(minMs - 1).getNanos() + n).build());
    Arbitrary<Duration> above = Arbitraries.longs().between(maxMs + 1, 315_576_000_000L * 1000)
        .map(ApiMapper::durationOfMillis);
    Arbitrary<Duration> badNanos = Combinators.combine(
            Arbitraries.longs().between(1, maxMs / 1000),
            Arbitraries.oneOf(Arbitraries.integers().between(1_000_000_000, Integer.MAX_VALUE),
                Arbitraries.integers().between(Integer.MIN_VALUE, -1)))
        .as((s, n) -> Duration.newBuilder().setSeconds(s).setNanos(n).build());
    Arbitrary<Duration> hugeSeconds = Arbitraries.longs().between(315_576_000_001L, Long.MAX_VALUE)
        .map(s -> Duration.newBuilder().setSeconds(s).build());
    return Arbitraries.oneOf(below, justBelow, above, badNanos, hugeSeconds,
        Arbitraries.just(Duration.getDefaultInstance()));
  }

  static Arbitrary<Duration> badTtl() {
    return badDuration(LockLimits.MIN_TTL_MS, LockLimits.MAX_TTL_MS);
  }

  static Arbitrary<Duration> badWaitTimeout() {
    return badDuration(LockLimits.MIN_WAIT_TIMEOUT_MS, LockLimits.MAX_WAIT_TIMEOUT_MS);
  }

  static Arbitrary<Integer> badPriority() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(Integer.MIN_VALUE, LockLimits.MIN_PRIORITY - 1),
        Arbitraries.integers().between(LockLimits.MAX_PRIORITY + 1, Integer.MAX_VALUE));
  }

  static Arbitrary<Long> badToken() {
    return Arbitraries.longs().between(Long.MIN_VALUE, 0);
  }

  static Arbitrary<Long> negative() {
    return Arbitraries.longs().between(Long.MIN_VALUE, -1);
  }

  static Arbitrary<Timestamp> badTimestamp() {
    return Arbitraries.oneOf(
        Arbitraries.longs().between(253_402_300_800L, Long.MAX_VALUE)
            .map(s -> Timestamp.newBuilder().setSeconds(s).build()),
        Arbitraries.longs().between(Long.MIN_VALUE, -62_135_596_801L)
            .map(s -> Timestamp.newBuilder().setSeconds(s).build()),
        Arbitraries.integers().between(Integer.MIN_VALUE, -1)
            .map(n -> Timestamp.newBuilder().setNanos(n).build()),
        Arbitraries.integers().between(1_000_000_000, Integer.MAX_VALUE)
            .map(n -> Timestamp.newBuilder().setNanos(n).build()));
  }

  /**
   * Metadata breaking one rule, with the field the validator must name: too many entries
   * ({@code field}), or one bad entry among valid ones ({@code field[key]}).
   */
  static Arbitrary<Invalid<Map<String, String>>> badMetadata(String field) {
    Arbitrary<Invalid<Map<String, String>>> tooMany = Arbitraries.maps(
            Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(8),
            Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(8))
        .ofMinSize(LockLimits.MAX_METADATA_ENTRIES + 1)
        .ofMaxSize(LockLimits.MAX_METADATA_ENTRIES + 40)
        .map(m -> new Invalid<>(m, field));
    Arbitrary<String> goodKey = id(LockLimits.MAX_METADATA_KEY_LENGTH);
    Arbitrary<String[]> badEntry = Arbitraries.oneOf(
        Combinators.combine(badId(LockLimits.MAX_METADATA_KEY_LENGTH),
            text(0, LockLimits.MAX_METADATA_VALUE_LENGTH)).as((k, v) -> new String[] {k, v}),
        Combinators.combine(goodKey,
            Arbitraries.oneOf(tooLong(LockLimits.MAX_METADATA_VALUE_LENGTH),
                withSurrogate(text(0, LockLimits.MAX_METADATA_VALUE_LENGTH))))
            .as((k, v) -> new String[] {k, v}));
    Arbitrary<Invalid<Map<String, String>>> oneBad = Combinators.combine(
            Arbitraries.maps(goodKey, text(0, 20)).ofMaxSize(LockLimits.MAX_METADATA_ENTRIES - 1),
            badEntry)
        .as((good, bad) -> {
          Map<String, String> m = new java.util.HashMap<>(good);
          m.put(bad[0], bad[1]);
          String name = field + "[" + FieldChecks.printable(bad[0],
              LockLimits.MAX_METADATA_KEY_LENGTH) + "]";
          return new Invalid<>(m, name);
        });
    return Arbitraries.oneOf(tooMany, oneBad);
  }

  @SafeVarargs
  static <T> Arbitrary<Invalid<T>> anyOf(Arbitrary<Invalid<T>>... choices) {
    return Arbitraries.oneOf(List.of(choices));
  }
}
