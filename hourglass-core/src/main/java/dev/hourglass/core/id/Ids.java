package dev.hourglass.core.id;

import java.nio.charset.StandardCharsets;

/**
 * The shape of every name that addresses something: job, schedule and worker ids, queue and task
 * names. One rule for all of them, checked by the engine (so the HTTP API, the stdio node and every
 * replica agree) and by whoever wants to refuse a name before proposing a command.
 *
 * <p>An id is 1 to {@link #ID_BYTES_MAX} characters from {@link #ALPHABET}: ASCII letters, digits
 * and {@code - _ . : @ ~}, and not {@code .} or {@code ..}. Why this alphabet: ids appear as one
 * segment of a URL path ({@code /api/v1/jobs/{id}}), in log lines, metric labels and shell
 * commands. These characters need no escaping in any of them (RFC 3986 "unreserved" plus {@code :}
 * and {@code @}, which a path segment allows), so an id that was accepted can always be addressed
 * again: a {@code /} would split the path, {@code ?} and {@code #} would end it, and {@code .} or
 * {@code ..} would be removed by path normalization. UUIDs, the generated ids, fit; so do the
 * {@code <schedule_id>@<fire time>} ids of cron firings.
 *
 * <p>An idempotency key is not an address (it never appears in a path), so it may hold any
 * characters but controls, up to {@link #ID_BYTES_MAX} UTF-8 bytes: clients often derive it from
 * business data ({@code "order 42/charge"}).
 *
 * <p>Stateless and thread-safe.
 */
public final class Ids {
  private Ids() {}

  /**
   * The longest id, in bytes (an id is ASCII, so also in characters). Why: ids are keys held in
   * several indexes per job and repeated in every log record about the job; 200 leaves room for any
   * structured id a client builds (a UUID is 36) while keeping them keys, not documents.
   */
  public static final int ID_BYTES_MAX = 200;

  /**
   * The longest schedule id. Why: each firing creates the job {@code <schedule_id>@<millis>}, and
   * with at most 19 digits of epoch milliseconds that job id must still fit {@link #ID_BYTES_MAX}.
   */
  public static final int SCHEDULE_ID_BYTES_MAX = ID_BYTES_MAX - 20;

  /** The characters of an id, as people read them in messages and docs. */
  public static final String ALPHABET = "A-Z a-z 0-9 - _ . : @ ~";

  /**
   * Checks an id or name.
   *
   * @param field the field's name in messages, e.g. {@code job_id}
   * @param value the id, may be null
   * @return null when valid, else a sentence naming the field, the offending character or length,
   *     and the rule
   */
  public static String problem(String field, String value) {
    return problem(field, value, ID_BYTES_MAX);
  }

  /** Like {@link #problem(String, String)} with a shorter bound, for schedule ids. */
  public static String problem(String field, String value, int bytesMax) {
    if (value == null || value.isEmpty()) {
      return field + " is missing or empty; " + rule(bytesMax);
    }
    if (value.length() > bytesMax) {
      return "%s is %d characters long; %s".formatted(field, value.length(), rule(bytesMax));
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!allowed(c)) {
        return "%s \"%s\" holds %s at index %d; %s"
            .formatted(field, printable(value), describe(c), i, rule(bytesMax));
      }
    }
    if (value.equals(".") || value.equals("..")) {
      return "%s \"%s\" would vanish from a URL path; %s".formatted(field, value, rule(bytesMax));
    }
    return null;
  }

  /**
   * Checks an idempotency key: 1 to {@link #ID_BYTES_MAX} UTF-8 bytes, no control characters.
   *
   * @return null when valid, else a sentence naming the field and the rule
   */
  public static String keyProblem(String field, String value) {
    String rule = "a key is 1 to " + ID_BYTES_MAX + " UTF-8 bytes without control characters";
    if (value == null || value.isEmpty()) {
      return field + " is empty; " + rule;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        return "%s holds %s at index %d; %s".formatted(field, describe(c), i, rule);
      }
    }
    if (value.length() > ID_BYTES_MAX
        || value.getBytes(StandardCharsets.UTF_8).length > ID_BYTES_MAX) {
      return "%s is %d UTF-8 bytes long; %s"
          .formatted(field, value.getBytes(StandardCharsets.UTF_8).length, rule);
    }
    return null;
  }

  private static boolean allowed(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '_'
        || c == '.'
        || c == ':'
        || c == '@'
        || c == '~';
  }

  private static String rule(int bytesMax) {
    return "ids and names are 1 to "
        + bytesMax
        + " characters from "
        + ALPHABET
        + " (not \".\""
        + " or \"..\")";
  }

  private static String describe(char c) {
    if (c >= 0x21 && c < 0x7f) {
      return "'" + c + "'";
    }
    return "U+%04X".formatted((int) c)
        + (c == ' ' ? " (a space)" : Character.isISOControl(c) ? " (a control character)" : "");
  }

  /** The value for a message: controls and non-ASCII escaped, at most 64 characters shown. */
  private static String printable(String value) {
    var b = new StringBuilder();
    for (int i = 0; i < value.length() && b.length() < 64; i++) {
      char c = value.charAt(i);
      if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        b.append(c);
      } else {
        b.append("\\u%04x".formatted((int) c));
      }
    }
    return b.length() >= 64 && value.length() > 64 ? b + "..." : b.toString();
  }
}
