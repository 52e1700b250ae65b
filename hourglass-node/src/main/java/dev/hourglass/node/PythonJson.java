package dev.hourglass.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.Map;

/**
 * Writes a JSON tree exactly as Python's {@code json.dumps(value)} does with its defaults: {@code
 * ", "} between items, {@code ": "} after keys, keys in insertion order, and every character
 * outside printable ASCII escaped as a lowercase {@code \\uXXXX} ({@code ensure_ascii=True}).
 *
 * <p>Why not Jackson's own writer: harnesses in this style compare the node's lines with lines that
 * Python printed, and some compare them as text. Jackson's compact output has no spaces, and its
 * pretty printer breaks lines. Producing the reference spacing ourselves is thirty lines and
 * removes the question entirely. Stateless and thread-safe.
 */
final class PythonJson {
  private PythonJson() {}

  static String dumps(JsonNode value) {
    StringBuilder out = new StringBuilder(128);
    write(value, out);
    return out.toString();
  }

  private static void write(JsonNode value, StringBuilder out) {
    switch (value.getNodeType()) {
      case OBJECT -> {
        out.append('{');
        String separator = "";
        for (Map.Entry<String, JsonNode> field : value.properties()) {
          out.append(separator);
          string(field.getKey(), out);
          out.append(": ");
          write(field.getValue(), out);
          separator = ", ";
        }
        out.append('}');
      }
      case ARRAY -> {
        out.append('[');
        for (int i = 0; i < value.size(); i++) {
          if (i > 0) {
            out.append(", ");
          }
          write(value.get(i), out);
        }
        out.append(']');
      }
      case STRING -> string(value.textValue(), out);
      case NUMBER ->
          out.append(
              value.isIntegralNumber()
                  ? value.bigIntegerValue().toString()
                  : pythonFloat(value.doubleValue()));
      case BOOLEAN -> out.append(value.booleanValue() ? "true" : "false");
      case NULL, MISSING -> out.append("null");
      case BINARY, POJO ->
          throw new IllegalArgumentException(
              "cannot write a " + value.getNodeType() + " node as JSON: " + value);
    }
  }

  /** Python's string escaping with {@code ensure_ascii=True}. */
  static void string(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /**
   * Python's {@code repr(float)}: the shortest digits that round-trip, positional for decimal
   * exponents in [-4, 16), scientific with a signed two-digit exponent otherwise ({@code 1e+16}).
   */
  static String pythonFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0.0" : "0.0";
    }
    String sign = d < 0 ? "-" : "";
    BigDecimal exact = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
    String digits = exact.unscaledValue().toString();
    int exponent = digits.length() - 1 - exact.scale();
    if (exponent >= -4 && exponent < 16) {
      String plain = exact.toPlainString();
      return sign + (plain.contains(".") ? plain : plain + ".0");
    }
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    return sign
        + mantissa
        + "e"
        + (exponent < 0 ? "-" : "+")
        + (Math.abs(exponent) < 10 ? "0" : "")
        + Math.abs(exponent);
  }
}
