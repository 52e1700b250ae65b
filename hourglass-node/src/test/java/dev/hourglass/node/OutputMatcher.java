package dev.hourglass.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The harness's comparison: each expected line is found, in order, among the output lines. Lines
 * are compared as JSON: objects key by key with the same keys, arrays item by item, and an expected
 * string is a regular expression the actual string must match entirely.
 *
 * <p>{@link #formatPattern} adds the stricter text check: the expected line's bytes, with only its
 * regex strings left open, so spacing and key order must be exactly as the protocol's sample tests
 * print them.
 */
final class OutputMatcher {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern STRING_LITERAL = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
  private static final Pattern REGEX_SYNTAX = Pattern.compile("[.*+?\\[\\](){}|^$]");

  private OutputMatcher() {}

  /** For each expected line, the index of the output line it matched; fails on the first miss. */
  static List<Integer> match(List<String> expected, List<String> output) {
    List<Integer> found = new ArrayList<>();
    int next = 0;
    for (String want : expected) {
      JsonNode wanted = parse(want);
      int hit = -1;
      for (int i = next; i < output.size() && hit < 0; i++) {
        JsonNode actual = tryParse(output.get(i));
        if (actual != null && matches(wanted, actual)) {
          hit = i;
        }
      }
      if (hit < 0) {
        throw new AssertionError(
            "expected line not found (in order) in the output:\n  "
                + want
                + "\noutput after line "
                + next
                + ":\n  "
                + String.join("\n  ", output.subList(next, output.size())));
      }
      found.add(hit);
      next = hit + 1;
    }
    return found;
  }

  static boolean matches(JsonNode expected, JsonNode actual) {
    if (expected.isTextual()) {
      return actual.isTextual()
          && Pattern.compile(expected.textValue(), Pattern.DOTALL)
              .matcher(actual.textValue())
              .matches();
    }
    if (expected.isObject()) {
      if (!actual.isObject() || expected.size() != actual.size()) {
        return false;
      }
      for (Iterator<String> names = expected.fieldNames(); names.hasNext(); ) {
        String name = names.next();
        if (!actual.has(name) || !matches(expected.get(name), actual.get(name))) {
          return false;
        }
      }
      return true;
    }
    if (expected.isArray()) {
      if (!actual.isArray() || expected.size() != actual.size()) {
        return false;
      }
      for (int i = 0; i < expected.size(); i++) {
        if (!matches(expected.get(i), actual.get(i))) {
          return false;
        }
      }
      return true;
    }
    return expected.equals(actual);
  }

  /**
   * The expected line as a text pattern: every byte literal, except string values that are regular
   * expressions, which match any JSON string content.
   */
  static Pattern formatPattern(String expectedLine) {
    StringBuilder regex = new StringBuilder();
    Matcher m = STRING_LITERAL.matcher(expectedLine);
    int last = 0;
    while (m.find()) {
      regex.append(Pattern.quote(expectedLine.substring(last, m.start())));
      String content = m.group(1);
      boolean isKey = expectedLine.startsWith(":", m.end());
      regex.append(
          !isKey && REGEX_SYNTAX.matcher(content).find()
              ? "\"(?:[^\"\\\\]|\\\\.)*\""
              : Pattern.quote(m.group()));
      last = m.end();
    }
    regex.append(Pattern.quote(expectedLine.substring(last)));
    return Pattern.compile(regex.toString());
  }

  private static JsonNode parse(String line) {
    JsonNode node = tryParse(line);
    if (node == null) {
      throw new IllegalArgumentException("expected line is not JSON: " + line);
    }
    return node;
  }

  private static JsonNode tryParse(String line) {
    try {
      return MAPPER.readTree(line);
    } catch (IOException e) {
      return null;
    }
  }
}
