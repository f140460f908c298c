package io.raftlock.api;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.raftlock.api.GrpcFuzzMethods.Method;
import io.raftlock.api.GrpcFuzzMethods.Policy;
import io.raftlock.api.RawGrpc.Answer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;

/**
 * Generated gRPC request bodies, per category, each with the answer it must get. Bodies are
 * made from a method's valid requests or from nothing (random bytes); whether one that decodes
 * may be sent, and what it must get, follows the method's {@link Policy}. Everything is drawn
 * from one seeded {@link Random}, so a seed reproduces a run.
 */
final class GrpcFuzzCases {
  enum Category {
    RANDOM_BYTES("random bytes"),
    TRUNCATED("truncated message"),
    WRONG_WIRE_TYPE("wrong wire type / bad tag"),
    INVALID_UTF8("invalid UTF-8 in a string"),
    CONTROL_CHARS("control character in an id"),
    MUTATED("mutated valid message"),
    BAD_FRAMING("bad length prefix / frame");

    final String label;

    Category(String label) {
      this.label = label;
    }
  }

  /** The answers a case may get, by what is known about its body. */
  enum Expect {
    /** Decodes and may be valid (a read): any typed status but INTERNAL, OK included. */
    ANY_TYPED(a -> typed(a) && a.status() != INTERNAL),
    /** A lock API request that is invalid: INVALID_ARGUMENT (docs/api.md, validation). */
    INVALID_ARGUMENT(a -> a.kind() == Answer.Kind.STATUS && a.status() == INVALID),
    /** An invalid Admin request: a typed refusal (on a follower NOT_LEADER may come first). */
    REFUSED(a -> typed(a) && a.status() != OK && a.status() != INTERNAL),
    /** Protobuf cannot decode the message: "INVALID_ARGUMENT or INTERNAL" (docs/api.md). */
    UNDECODABLE(a -> a.kind() == Answer.Kind.STATUS && (a.status() == INVALID || a.status() == INTERNAL)),
    /**
     * Not exactly one well-formed frame: refused like an undecodable message, INVALID_ARGUMENT
     * (docs/api.md), or INTERNAL, what grpc-java and grpc-go answer a protocol fault.
     */
    BAD_FRAME(a -> a.kind() == Answer.Kind.STATUS && (a.status() == INVALID || a.status() == INTERNAL));

    final Predicate<Answer> accepts;

    Expect(Predicate<Answer> accepts) {
      this.accepts = accepts;
    }
  }

  static final int OK = 0;
  static final int CANCELLED = 1;
  static final int UNKNOWN = 2;
  static final int INVALID = 3;
  static final int INTERNAL = 13;

  /** A status the server sent, in trailers, that is neither UNKNOWN nor CANCELLED. */
  static boolean typed(Answer a) {
    return a.kind() == Answer.Kind.STATUS && a.status() != UNKNOWN && a.status() != CANCELLED;
  }

  /** One call: the whole HTTP/2 body (length prefixes included) and what it must get. */
  record Case(Method method, Category category, byte[] body, Expect expect) {
    String describe() {
      byte[] head = Arrays.copyOf(body, Math.min(body.length, 48));
      return method.shortName() + " " + category.label + " (" + body.length + " bytes: "
          + java.util.HexFormat.of().formatHex(head) + (body.length > head.length ? "..." : "") + ")";
    }
  }

  /** Invalid UTF-8: lone continuation, overlong, surrogate (CESU), truncated, out of range. */
  private static final byte[][] BAD_UTF8 = {
    {(byte) 0x80}, {(byte) 0xbf}, {(byte) 0xc0, (byte) 0xaf}, {(byte) 0xc1, (byte) 0xbf},
    {(byte) 0xe0, (byte) 0x80, (byte) 0xaf}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
    {(byte) 0xed, (byte) 0xbf, (byte) 0xbf}, {(byte) 0xf4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
    {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, {(byte) 0xfe}, {(byte) 0xff},
    {(byte) 0xc3}, {(byte) 0xe2, (byte) 0x82}, {(byte) 0xf0, (byte) 0x9f, (byte) 0x98},
  };

  private final Random random;

  GrpcFuzzCases(long seed) {
    this.random = new Random(seed);
  }

  /**
   * Up to {@code count} cases of {@code category} for {@code method}; fewer when a generated body
   * may not be sent (a decodable write that could be valid), counted in {@code skipped[0]}, or when
   * the category does not apply to the method (no string field to corrupt), in {@code skipped[1]}.
   */
  List<Case> cases(Method method, Category category, int count, int[] skipped) {
    boolean applies = switch (category) {
      case INVALID_UTF8 -> !stringPaths(method.prototype().getDescriptorForType(), 0).isEmpty();
      case CONTROL_CHARS -> !method.idFields().isEmpty();
      default -> true;
    };
    if (!applies) {
      skipped[1] += count;
      return List.of();
    }
    List<Case> out = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      Case c = switch (category) {
        case RANDOM_BYTES -> decide(method, category, randomBytes());
        case TRUNCATED -> decide(method, category, truncated(method));
        case WRONG_WIRE_TYPE -> decide(method, category, wrongWireType(method));
        case INVALID_UTF8 -> invalidUtf8(method);
        case CONTROL_CHARS -> controlChar(method);
        case MUTATED -> decide(method, category, mutated(method));
        case BAD_FRAMING -> badFrame(method);
      };
      if (c == null) {
        skipped[0]++;
      } else {
        out.add(c);
      }
    }
    return out;
  }

  /** A message of unknown validity: what it must get follows from decoding it as the server would. */
  private Case decide(Method method, Category category, byte[] message) {
    Message decoded;
    try {
      decoded = method.parse(message);
    } catch (InvalidProtocolBufferException e) {
      return new Case(method, category, RawGrpc.framed(message), Expect.UNDECODABLE);
    }
    return switch (method.policy()) {
      case READ -> new Case(method, category, RawGrpc.framed(message), Expect.ANY_TYPED);
      case WRITE -> method.missesRequired(decoded) ? refused(method, category, RawGrpc.framed(message)) : null;
      case UNDECODABLE_ONLY -> null;
    };
  }

  private static Case refused(Method method, Category category, byte[] body) {
    return new Case(method, category, body, method.lockApi() ? Expect.INVALID_ARGUMENT : Expect.REFUSED);
  }

  private byte[] randomBytes() {
    int length = random.nextInt(10) == 0 ? random.nextInt(4096) : random.nextInt(41);
    byte[] b = new byte[length];
    random.nextBytes(b);
    return b;
  }

  private byte[] valid(Method method) {
    return method.valid().apply(random).toByteArray();
  }

  private byte[] truncated(Method method) {
    byte[] whole = valid(method);
    return Arrays.copyOf(whole, whole.length == 0 ? 0 : random.nextInt(whole.length));
  }

  /**
   * A valid message with one field written again under a wrong wire type (a known field number
   * with another valid wire type, an invalid wire type 6 or 7, a group that never ends, an end
   * group, field number 0, a tag varint longer than 10 bytes), before or after the rest.
   */
  private byte[] wrongWireType(Method method) {
    Descriptor d = method.valid().apply(random).getDescriptorForType();
    int field = d.getFields().isEmpty() ? 1 + random.nextInt(20)
        : d.getFields().get(random.nextInt(d.getFields().size())).getNumber();
    ByteArrayOutputStream extra = new ByteArrayOutputStream();
    switch (random.nextInt(7)) {
      case 0 -> writeVarint(extra, field << 3 | wireTypeOtherThan(d.findFieldByNumber(field)));
      case 1 -> writeVarint(extra, field << 3 | (6 + random.nextInt(2)));
      case 2 -> writeVarint(extra, field << 3 | 3);
      case 3 -> writeVarint(extra, field << 3 | 4);
      case 4 -> writeVarint(extra, random.nextInt(6));
      case 5 -> extra.writeBytes(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80,
          (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x01});
      default -> writeVarint(extra, (field + 100) << 3 | 2); // an unknown field, then garbage
    }
    byte[] payload = new byte[random.nextInt(12)];
    random.nextBytes(payload);
    extra.writeBytes(payload);
    byte[] base = valid(method);
    return random.nextBoolean() ? concat(extra.toByteArray(), base) : concat(base, extra.toByteArray());
  }

  private int wireTypeOtherThan(FieldDescriptor f) {
    int own = f == null ? -1 : f.getLiteType().getWireType();
    int[] valid = {0, 1, 2, 5};
    int w;
    do {
      w = valid[random.nextInt(valid.length)];
    } while (w == own);
    return w;
  }

  /** A valid message with a string field (at any depth) written again holding invalid UTF-8. */
  private Case invalidUtf8(Method method) {
    List<List<FieldDescriptor>> paths = stringPaths(method.valid().apply(random).getDescriptorForType(), 0);
    if (paths.isEmpty()) {
      return null;
    }
    List<FieldDescriptor> path = paths.get(random.nextInt(paths.size()));
    byte[] bad = BAD_UTF8[random.nextInt(BAD_UTF8.length)];
    String before = "fz".repeat(random.nextInt(4));
    byte[] text = concat(concat(before.getBytes(StandardCharsets.UTF_8), bad), "x".getBytes(StandardCharsets.UTF_8));
    byte[] occurrence = text;
    for (int i = path.size() - 1; i >= 0; i--) {
      occurrence = lengthDelimited(path.get(i).getNumber(), occurrence);
    }
    byte[] base = valid(method);
    byte[] message = random.nextBoolean() ? concat(occurrence, base) : concat(base, occurrence);
    return new Case(method, Category.INVALID_UTF8, RawGrpc.framed(message), Expect.UNDECODABLE);
  }

  /** Paths to string fields: top-level, or inside a message field (map entries included). */
  private static List<List<FieldDescriptor>> stringPaths(Descriptor d, int depth) {
    List<List<FieldDescriptor>> out = new ArrayList<>();
    for (FieldDescriptor f : d.getFields()) {
      if (f.getType() == FieldDescriptor.Type.STRING) {
        out.add(List.of(f));
      } else if (f.getType() == FieldDescriptor.Type.MESSAGE && depth == 0
          && !f.getMessageType().getFullName().startsWith("google.protobuf.")) {
        for (List<FieldDescriptor> inner : stringPaths(f.getMessageType(), 1)) {
          List<FieldDescriptor> p = new ArrayList<>();
          p.add(f);
          p.addAll(inner);
          out.add(p);
        }
      }
    }
    return out;
  }

  /** A valid request whose id field holds a control character: the validator must refuse it. */
  private Case controlChar(Method method) {
    if (method.idFields().isEmpty()) {
      return null;
    }
    Message base = method.valid().apply(random);
    FieldDescriptor f = base.getDescriptorForType().findFieldByName(
        method.idFields().get(random.nextInt(method.idFields().size())));
    char c = switch (random.nextInt(4)) {
      case 0 -> '\u0000';
      case 1 -> (char) random.nextInt(0x20);
      case 2 -> '\u007f';
      default -> (char) (0x80 + random.nextInt(0x20));
    };
    String value = (String) base.getField(f);
    int at = random.nextInt(value.length() + 1);
    String bad = value.isEmpty() ? "fz" + c : value.substring(0, at) + c + value.substring(at);
    byte[] message = base.toBuilder().setField(f, bad).build().toByteArray();
    return refused(method, Category.CONTROL_CHARS, RawGrpc.framed(message));
  }

  /** A valid message with 1-4 byte edits: flip, overwrite, insert, delete, duplicate a run. */
  private byte[] mutated(Method method) {
    byte[] m = valid(method);
    for (int edits = 1 + random.nextInt(4); edits > 0; edits--) {
      int at = m.length == 0 ? 0 : random.nextInt(m.length);
      m = switch (random.nextInt(5)) {
        case 0 -> m.length == 0 ? m : flip(m, at, 1 << random.nextInt(8));
        case 1 -> m.length == 0 ? m : flip(m, at, 1 + random.nextInt(255));
        case 2 -> concat(concat(Arrays.copyOf(m, at), new byte[] {(byte) random.nextInt(256)}),
            Arrays.copyOfRange(m, at, m.length));
        case 3 -> m.length == 0 ? m : concat(Arrays.copyOf(m, at), Arrays.copyOfRange(m, at + 1, m.length));
        default -> concat(m, Arrays.copyOfRange(m, at, Math.min(m.length, at + 1 + random.nextInt(8))));
      };
    }
    return m;
  }

  private static byte[] flip(byte[] m, int at, int bits) {
    byte[] copy = m.clone();
    copy[at] ^= (byte) bits;
    return copy;
  }

  /**
   * Not exactly one well-formed frame: no message, part of a prefix, a prefix longer or shorter
   * than what follows, the compressed flag without an encoding, an undefined flag, a prefix or a
   * message over the size limit, two messages to a unary method. The message inside never
   * decodes (it starts with wire type 7), so no reading of these bytes is a valid request.
   */
  private Case badFrame(Method method) {
    byte[] undecodable = concat(new byte[] {(byte) (1 << 3 | 7), (byte) random.nextInt(256)}, randomBytes());
    byte[] framed = RawGrpc.framed(undecodable);
    boolean noMessageAllowed = method.policy() != Policy.UNDECODABLE_ONLY;
    byte[] body = switch (random.nextInt(noMessageAllowed ? 9 : 7)) {
      case 0 -> withLength(framed, undecodable.length + 1 + random.nextInt(1000));
      case 1 -> withLength(framed, Math.max(1, undecodable.length - 1 - random.nextInt(4)));
      case 2 -> withFlag(framed, 1);
      case 3 -> withFlag(framed, 2 + random.nextInt(254));
      case 4 -> withLength(Arrays.copyOf(framed, 5 + random.nextInt(3)), (5 << 20) + random.nextInt(Integer.MAX_VALUE - (5 << 20)));
      case 5 -> random.nextInt(4) == 0 ? RawGrpc.framed(concat(undecodable, new byte[300_000])) : concat(framed, framed);
      case 6 -> Arrays.copyOf(framed, 5 + random.nextInt(Math.max(1, undecodable.length)));
      case 7 -> new byte[0];
      default -> Arrays.copyOf(framed, 1 + random.nextInt(4));
    };
    return new Case(method, Category.BAD_FRAMING, body, Expect.BAD_FRAME);
  }

  private static byte[] withLength(byte[] framed, int length) {
    byte[] b = framed.clone();
    b[1] = (byte) (length >>> 24);
    b[2] = (byte) (length >>> 16);
    b[3] = (byte) (length >>> 8);
    b[4] = (byte) length;
    return b;
  }

  private static byte[] withFlag(byte[] framed, int flag) {
    byte[] b = framed.clone();
    b[0] = (byte) flag;
    return b;
  }

  private static byte[] lengthDelimited(int field, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeVarint(out, field << 3 | 2);
    writeVarint(out, content.length);
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static void writeVarint(ByteArrayOutputStream out, int value) {
    try {
      CodedOutputStream c = CodedOutputStream.newInstance(out);
      c.writeUInt32NoTag(value);
      c.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
