package dev.hourglass.client.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/**
 * Writes a request's tree as JSON without Jackson's serializer when the tree is plain: objects,
 * arrays, strings of printable ASCII without a quote or a backslash, int and long numbers, booleans
 * and nulls, at most {@link #DEPTH_MAX} levels deep. The bytes are the ones Jackson writes for the
 * same tree (it writes such text verbatim); for any other tree {@link #bytes} answers null and
 * {@link Json#bytes} goes through Jackson. Stateless, thread-safe.
 *
 * <p>Why: each request through {@code writeValueAsBytes} allocates a serializer provider, an I/O
 * context, a generator and a byte builder, then copies the bytes out; this measures the tree once
 * and writes it into one array of that size. The bodies a client and a worker send per job (a
 * submit, a lease, a batch of completions) are plain unless a payload or a result holds other text.
 */
final class PlainJson {
  private PlainJson() {}

  /**
   * How deep a tree this writer takes. Why: it recurses once per level, and bodies are shallow; a
   * deeper payload goes through Jackson, which bounds its own depth.
   */
  static final int DEPTH_MAX = 32;

  /** The tree's JSON in UTF-8, or null when it is not plain. */
  static byte[] bytes(JsonNode tree) {
    int size = size(tree, 0);
    if (size < 0) {
      return null;
    }
    byte[] out = new byte[size];
    int end = write(tree, out, 0);
    if (end != size) {
      throw new IllegalStateException(
          "a JSON tree changed while it was written: measured=" + size + " written=" + end);
    }
    return out;
  }

  /** How many bytes {@link #write} writes for {@code node}, or -1 if it is not plain. */
  private static int size(JsonNode node, int depth) {
    if (depth > DEPTH_MAX) {
      return -1;
    }
    switch (node.getNodeType()) {
      case OBJECT -> {
        int size = 2; // {}
        for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
            it.hasNext(); ) {
          var field = it.next();
          int name = text(field.getKey());
          int value = size(field.getValue(), depth + 1);
          if (name < 0 || value < 0) {
            return -1;
          }
          size += name + 1 + value + (it.hasNext() ? 1 : 0); // "name":value,
        }
        return size;
      }
      case ARRAY -> {
        int size = 2; // []
        for (int i = 0; i < node.size(); i++) {
          int value = size(node.get(i), depth + 1);
          if (value < 0) {
            return -1;
          }
          size += value + (i > 0 ? 1 : 0);
        }
        return size;
      }
      case STRING -> {
        return text(node.textValue());
      }
      case NUMBER -> {
        return node.isInt() || (node.isLong() && node.longValue() != Long.MIN_VALUE)
            ? digits(node.longValue())
            : -1; // floats, big numbers: their text is Jackson's to choose
      }
      case BOOLEAN -> {
        return node.booleanValue() ? 4 : 5;
      }
      case NULL -> {
        return 4;
      }
      default -> {
        return -1; // binary, POJO, missing
      }
    }
  }

  /** The size of a quoted string, or -1 if JSON would escape any of its characters. */
  private static int text(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        return -1;
      }
    }
    return s.length() + 2;
  }

  /** The length of a number's decimal text; {@code n} is not Long.MIN_VALUE. */
  private static int digits(long n) {
    int length = n < 0 ? 2 : 1;
    for (long rest = Math.abs(n); rest >= 10; rest /= 10) {
      length++;
    }
    return length;
  }

  /** Writes a plain node at {@code at}; returns where it ends. */
  private static int write(JsonNode node, byte[] out, int at) {
    switch (node.getNodeType()) {
      case OBJECT -> {
        out[at++] = '{';
        for (Iterator<Map.Entry<String, JsonNode>> it = node.properties().iterator();
            it.hasNext(); ) {
          var field = it.next();
          at = quoted(field.getKey(), out, at);
          out[at++] = ':';
          at = write(field.getValue(), out, at);
          if (it.hasNext()) {
            out[at++] = ',';
          }
        }
        out[at++] = '}';
      }
      case ARRAY -> {
        out[at++] = '[';
        for (int i = 0; i < node.size(); i++) {
          if (i > 0) {
            out[at++] = ',';
          }
          at = write(node.get(i), out, at);
        }
        out[at++] = ']';
      }
      case STRING -> at = quoted(node.textValue(), out, at);
      case NUMBER -> {
        long n = node.longValue();
        int end = at + digits(n);
        if (n < 0) {
          out[at++] = '-';
        }
        for (int i = end - 1; i >= at; i--, n /= 10) {
          out[i] = (byte) ('0' + Math.abs(n % 10));
        }
        at = end;
      }
      case BOOLEAN -> at = ascii(node.booleanValue() ? "true" : "false", out, at);
      default -> at = ascii("null", out, at);
    }
    return at;
  }

  private static int quoted(String s, byte[] out, int at) {
    out[at++] = '"';
    at = ascii(s, out, at);
    out[at++] = '"';
    return at;
  }

  private static int ascii(String s, byte[] out, int at) {
    for (int i = 0; i < s.length(); i++) {
      out[at++] = (byte) s.charAt(i);
    }
    return at;
  }
}
