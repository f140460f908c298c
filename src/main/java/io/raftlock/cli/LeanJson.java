package io.raftlock.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/**
 * The JSON of the lean path ({@link HttpRead}), on Jackson's streaming API alone: building its
 * {@code ObjectMapper} costs a one-shot command more than the request itself, and the lean path
 * only copies documents and reads a few fields. The documents it writes are those
 * {@code ObjectNode.toString()} writes for the same content (compact, Jackson's escaping), so
 * {@code --json} prints the same bytes on either path.
 */
final class LeanJson {
  private static final JsonFactory FACTORY = new JsonFactory();

  private LeanJson() {}

  /** Writes fields into a JSON object. */
  @FunctionalInterface
  interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  /** Reads a document that a parser is positioned at the start of. */
  @FunctionalInterface
  interface Reader<T> {
    T read(JsonParser p) throws IOException;
  }

  /** Reads one member of an object: its name, the parser at its value (which it must consume whole). */
  @FunctionalInterface
  interface Member {
    void read(String name, JsonParser p) throws IOException;
  }

  /** The JSON object {@code object} with {@code more} fields added at its end. */
  static String withFields(String object, Fields more) {
    return generate(g -> {
      try (JsonParser p = FACTORY.createParser(object)) {
        expect(p.nextToken(), JsonToken.START_OBJECT);
        g.writeStartObject();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          g.writeFieldName(p.currentName());
          p.nextToken();
          g.copyCurrentStructure(p);
        }
        more.write(g);
        g.writeEndObject();
      }
    });
  }

  /** {@code reader}'s result on {@code document}; the parser is at the document's first token. */
  static <T> T read(String document, Reader<T> reader) {
    try (JsonParser p = FACTORY.createParser(document)) {
      p.nextToken();
      return reader.read(p);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Calls {@code fields} for each member of the object the parser is at: its name, the parser at its value. */
  static void eachField(JsonParser p, Member fields) throws IOException {
    expect(p.currentToken(), JsonToken.START_OBJECT);
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      p.nextToken();
      fields.read(name, p);
    }
  }

  private static void expect(JsonToken got, JsonToken wanted) throws IOException {
    if (got != wanted) {
      throw new IOException("expected " + wanted + ", got " + got);
    }
  }

  private static String generate(Fields body) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = FACTORY.createGenerator(w)) {
      body.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }
}
