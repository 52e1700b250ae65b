package dev.hourglass.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a request body in its plainest form straight into its {@link Wire} record, without Jackson.
 * Not thread-safe: one instance reads one body; the plans per record type are shared and immutable.
 *
 * <p>Why: each body through {@link Http#MAPPER} cost a parser (about 1 KB: the parser, its I/O
 * context, a symbol table, read contexts, a duplicate detector) and data binding on top of it, for
 * bodies of some 60 bytes; the bodies sent once per job (a submit, a lease, a batch of completions)
 * were the largest share of what the server allocated per job that was its own.
 *
 * <p>The plainest form: an object of the record's fields, each once; a non-empty string of
 * printable ASCII without escapes for a {@code String}; an integer of up to 18 digits without a
 * fraction or an exponent, in range, for an {@code Integer} or a {@code Long}; true or false for a
 * {@code Boolean}; lists of such strings or of such records; for a {@code JsonNode}, any such value
 * or object or array of them (null inside), shallower than {@link #TREE_DEPTH_MAX}, without a
 * repeated key; JSON whitespace between tokens. On anything else (an unknown field, a null field, a
 * float, an escape, a non-ASCII character, broken JSON, text after the object, a record with a
 * field of another type) {@link #read} answers null and {@link Http#parse} reads the body through
 * the mapper as before, so every refusal keeps its code and message; a body read here gives the
 * record, and the tree, the mapper would give.
 */
final class RequestReader {
  /** A plan per record type, or none when a field has a type this reader leaves to Jackson. */
  private static final ClassValue<Plan> PLANS =
      new ClassValue<>() {
        @Override
        protected Plan computeValue(Class<?> type) {
          return Plan.of(type);
        }
      };

  /** How a field is read. */
  private enum Kind {
    STRING,
    INTEGER,
    LONG,
    BOOLEAN,
    TREE,
    STRINGS,
    RECORDS
  }

  private record Field(int index, Kind kind, Class<?> element) {}

  /** {@code names}: each field's JSON name in ASCII, in the order of {@code fields}. */
  private record Plan(Constructor<?> constructor, byte[][] names, Field[] fields) {
    /** The plan for a record whose fields this reader can all read, else null. */
    static Plan of(Class<?> type) {
      if (!type.isRecord()) {
        return null;
      }
      var snake = new PropertyNamingStrategies.SnakeCaseStrategy();
      RecordComponent[] components = type.getRecordComponents();
      byte[][] names = new byte[components.length][];
      Field[] fields = new Field[components.length];
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        var c = components[i];
        types[i] = c.getType();
        Field f = field(i, c.getType(), c.getGenericType());
        if (f == null || annotated(type, c)) {
          return null;
        }
        names[i] = snake.translate(c.getName()).getBytes(StandardCharsets.US_ASCII);
        fields[i] = f;
      }
      try {
        Constructor<?> canonical = type.getDeclaredConstructor(types);
        for (var parameter : canonical.getParameterAnnotations()) {
          if (parameter.length > 0) {
            return null;
          }
        }
        return new Plan(canonical, names, fields);
      } catch (NoSuchMethodException e) {
        return null;
      }
    }

    /**
     * Whether Jackson may read this component other than by its snake_case name: an annotation on
     * the record, or on the component's field, accessor or constructor parameter (Jackson 2's
     * annotations do not target record components, so the compiler puts them on those).
     */
    private static boolean annotated(Class<?> type, RecordComponent c) {
      if (type.getAnnotations().length > 0
          || c.getAnnotations().length > 0
          || c.getAccessor().getAnnotations().length > 0) {
        return true;
      }
      try {
        return type.getDeclaredField(c.getName()).getAnnotations().length > 0;
      } catch (NoSuchFieldException e) {
        return true;
      }
    }

    private static Field field(int index, Class<?> type, Type generic) {
      if (type == String.class) {
        return new Field(index, Kind.STRING, null);
      } else if (type == Integer.class) {
        return new Field(index, Kind.INTEGER, null);
      } else if (type == Long.class) {
        return new Field(index, Kind.LONG, null);
      } else if (type == Boolean.class) {
        return new Field(index, Kind.BOOLEAN, null);
      } else if (type == JsonNode.class) {
        return new Field(index, Kind.TREE, null);
      } else if (type == List.class
          && generic instanceof ParameterizedType p
          && p.getActualTypeArguments()[0] instanceof Class<?> element) {
        if (element == String.class) {
          return new Field(index, Kind.STRINGS, null);
        }
        if (PLANS.get(element) != null) {
          return new Field(index, Kind.RECORDS, element);
        }
      }
      return null;
    }
  }

  /** The body as a {@code type}, or null to read it through the mapper. */
  static <T> T read(byte[] body, Class<T> type) {
    Plan plan = PLANS.get(type);
    if (plan == null) {
      return null;
    }
    var in = new RequestReader(body);
    try {
      Object value = in.record(plan);
      return in.next() < 0 ? type.cast(value) : null;
    } catch (NotPlain e) {
      return null; // not plain: the mapper reads it, and says what is wrong if anything is
    }
  }

  /**
   * Thrown, without a stack trace, where the body leaves the plainest form; {@link #read} then
   * answers null. One instance: it carries nothing.
   */
  private static final class NotPlain extends RuntimeException {
    static final NotPlain INSTANCE = new NotPlain();

    private NotPlain() {
      super("not a plain body", null, false, false);
    }
  }

  /**
   * How deep a JSON tree field may nest here; deeper is left to the mapper, which bounds it at
   * {@link Http#JSON_DEPTH_MAX}.
   */
  private static final int TREE_DEPTH_MAX = 32;

  /**
   * The mapper's limits on a name and on a string: a longer one is left to the mapper, which
   * refuses it (a 400), as it did before this reader; taking it here would accept a job whose
   * payload no reader with Jackson's defaults, the SDK's included, could read back.
   */
  private static final int NAME_LENGTH_MAX =
      Http.MAPPER.getFactory().streamReadConstraints().getMaxNameLength();

  private static final int STRING_LENGTH_MAX =
      Http.MAPPER.getFactory().streamReadConstraints().getMaxStringLength();

  private final byte[] in;
  private int at;

  private RequestReader(byte[] in) {
    this.in = in;
  }

  /** A record: an object of its fields. */
  private Object record(Plan plan) {
    Object[] args = new Object[plan.fields().length];
    if (opens('{', '}')) {
      do {
        Field f = field(plan);
        if (args[f.index()] != null) {
          throw NotPlain.INSTANCE; // a repeated field
        }
        expect(':');
        args[f.index()] = value(f);
      } while (commaOr('}'));
    }
    try {
      return plan.constructor().newInstance(args);
    } catch (InstantiationException | IllegalAccessException | InvocationTargetException e) {
      throw NotPlain.INSTANCE;
    }
  }

  /** The field a quoted name names, compared in place: no string per name. */
  private Field field(Plan plan) {
    expect('"');
    int start = at;
    int end = endOfString();
    byte[][] names = plan.names();
    for (int i = 0; i < names.length; i++) {
      if (java.util.Arrays.equals(names[i], 0, names[i].length, in, start, end)) {
        return plan.fields()[i];
      }
    }
    throw NotPlain.INSTANCE; // unknown
  }

  private Object value(Field f) {
    return switch (f.kind()) {
      case STRING -> text(STRING_LENGTH_MAX);
      case INTEGER -> {
        long n = number();
        if (n != (int) n) {
          throw NotPlain.INSTANCE;
        }
        yield (int) n;
      }
      case LONG -> number();
      case BOOLEAN -> bool();
      case TREE -> tree(0);
      case STRINGS -> {
        List<String> out = new ArrayList<>();
        if (opens('[', ']')) {
          do {
            out.add(text(STRING_LENGTH_MAX));
          } while (commaOr(']'));
        }
        yield out;
      }
      case RECORDS -> {
        Plan plan = PLANS.get(f.element());
        List<Object> out = new ArrayList<>();
        if (opens('[', ']')) {
          do {
            out.add(record(plan));
          } while (commaOr(']'));
        }
        yield out;
      }
    };
  }

  /** A JSON value as the mapper's tree of it; null, floats and deep trees are not plain. */
  private JsonNode tree(int depth) {
    if (depth > TREE_DEPTH_MAX) {
      throw NotPlain.INSTANCE;
    }
    JsonNodeFactory nodes = Http.MAPPER.getNodeFactory();
    int c = next();
    if (c == '{') {
      ObjectNode o = nodes.objectNode();
      if (opens('{', '}')) {
        do {
          String name = text(NAME_LENGTH_MAX);
          expect(':');
          if (o.has(name)) {
            throw NotPlain.INSTANCE; // a repeated key: the mapper refuses it
          }
          o.set(name, nullOrTree(depth + 1));
        } while (commaOr('}'));
      }
      return o;
    }
    if (c == '[') {
      ArrayNode a = nodes.arrayNode();
      if (opens('[', ']')) {
        do {
          a.add(nullOrTree(depth + 1));
        } while (commaOr(']'));
      }
      return a;
    }
    if (c == '"') {
      return nodes.textNode(text(STRING_LENGTH_MAX));
    }
    if (c == 't' || c == 'f') {
      return nodes.booleanNode(bool());
    }
    long n = number();
    return n == (int) n ? nodes.numberNode((int) n) : nodes.numberNode(n);
  }

  /** Inside a tree, null is a value like any other. */
  private JsonNode nullOrTree(int depth) {
    if (next() == 'n') {
      literal("null");
      return Http.MAPPER.getNodeFactory().nullNode();
    }
    return tree(depth);
  }

  /** A non-empty string of printable ASCII without escapes, of at most {@code max} characters. */
  private String text(int max) {
    expect('"');
    int start = at;
    int end = endOfString();
    if (end == start || end - start > max) {
      throw NotPlain.INSTANCE;
    }
    return new String(in, start, end - start, StandardCharsets.ISO_8859_1);
  }

  /** Skips a string's text after its opening quote and the closing quote; where the text ends. */
  private int endOfString() {
    while (at < in.length) {
      byte b = in[at++];
      if (b == '"') {
        return at - 1;
      }
      if (b < 0x20 || b >= 0x7f || b == '\\') { // a control, non-ASCII (negative) or an escape
        throw NotPlain.INSTANCE;
      }
    }
    throw NotPlain.INSTANCE;
  }

  /** An integer of at most 18 digits, without a fraction or an exponent. */
  private long number() {
    next();
    boolean negative = at < in.length && in[at] == '-';
    if (negative) {
      at++;
    }
    int start = at;
    long n = 0;
    while (at < in.length && in[at] >= '0' && in[at] <= '9') {
      n = n * 10 + (in[at++] - '0');
    }
    int digits = at - start;
    if (digits == 0 || digits > 18 || (digits > 1 && in[start] == '0')) {
      throw NotPlain.INSTANCE; // none, maybe out of range, or a leading zero
    }
    if (at < in.length && (in[at] == '.' || in[at] == 'e' || in[at] == 'E')) {
      throw NotPlain.INSTANCE;
    }
    return negative ? -n : n;
  }

  private boolean bool() {
    if (next() == 't') {
      literal("true");
      return true;
    }
    literal("false");
    return false;
  }

  private void literal(String word) {
    for (int i = 0; i < word.length(); i++) {
      if (at >= in.length || in[at++] != word.charAt(i)) {
        throw NotPlain.INSTANCE;
      }
    }
    int c = at < in.length ? in[at] : -1;
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      throw NotPlain.INSTANCE; // "truex" is not a literal
    }
  }

  /** Reads {@code open}; true if members follow, false if {@code close} came at once. */
  private boolean opens(char open, char close) {
    expect(open);
    if (next() == close) {
      at++;
      return false;
    }
    return true;
  }

  /** After a member: true after a comma, false after {@code close}. */
  private boolean commaOr(char close) {
    int c = next();
    at++;
    if (c == ',') {
      return true;
    }
    if (c == close) {
      return false;
    }
    throw NotPlain.INSTANCE;
  }

  private void expect(char c) {
    if (next() != c) {
      throw NotPlain.INSTANCE;
    }
    at++;
  }

  /** The next byte after JSON whitespace, not consumed; -1 at the end. */
  private int next() {
    while (at < in.length) {
      byte b = in[at];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        return b;
      }
      at++;
    }
    return -1;
  }
}
