package dev.hourglass.core.command;

/**
 * The W3C trace context (https://www.w3.org/TR/trace-context/) of whoever submitted a job: the
 * {@code traceparent} and, optionally, the {@code tracestate} header values, kept verbatim so that
 * the span of each attempt can link back to the submitter's span. Opaque to scheduling: the engine
 * only checks the format ({@link #problem}), stores it with the job and answers it.
 *
 * @param traceparent {@code version-traceid-parentid-flags}, lowercase hex, e.g. {@code
 *     00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01}
 * @param tracestate vendor entries such as {@code congo=t61rcWkgMzE,rojo=00f067aa0ba902b7}, or null
 */
public record TraceContext(String traceparent, String tracestate) {
  /**
   * Bounds the stored {@code tracestate}: the W3C recommendation asks vendors to propagate at least
   * 512 characters, and every traced job holds its copy in memory, so that is what a job may carry.
   */
  public static final int TRACESTATE_CHARS_MAX = 512;

  /** The W3C limit on {@code tracestate} list members. */
  public static final int TRACESTATE_MEMBERS_MAX = 32;

  /** Version 00 has exactly this length; later versions may append {@code -} and more fields. */
  public static final int TRACEPARENT_CHARS = 55;

  /** Bounds a later version's {@code traceparent}, whose extra fields are not defined yet. */
  public static final int TRACEPARENT_CHARS_MAX = 256;

  /**
   * What is wrong with a trace context, or null when both values are well-formed. Strict: values
   * that a lenient parser would repair (uppercase hex, an all-zero id, surrounding blanks) are
   * refused rather than stored changed. Pure.
   *
   * @param traceparent the traceparent, or null for none
   * @param tracestate the tracestate, or null for none; refused without a traceparent
   * @return a message naming the field and the rule, or null
   */
  public static String problem(String traceparent, String tracestate) {
    if (traceparent == null) {
      return tracestate == null
          ? null
          : "tracestate is given without a traceparent; give both or neither";
    }
    String p = traceparentProblem(traceparent);
    if (p != null) {
      return "traceparent=\""
          + printable(traceparent)
          + "\" is not a W3C traceparent"
          + " (version-traceid-parentid-flags in lowercase hex, e.g. "
          + "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01): "
          + p;
    }
    String s = tracestate == null ? null : tracestateProblem(tracestate);
    if (s != null) {
      return "tracestate=\""
          + printable(tracestate)
          + "\" is not a W3C tracestate (up to "
          + TRACESTATE_MEMBERS_MAX
          + " comma-separated key=value members, at most "
          + TRACESTATE_CHARS_MAX
          + " characters): "
          + s;
    }
    return null;
  }

  private static String traceparentProblem(String v) {
    if (v.length() < TRACEPARENT_CHARS || v.length() > TRACEPARENT_CHARS_MAX) {
      return "length " + v.length() + "; version 00 has " + TRACEPARENT_CHARS + " characters";
    }
    if (v.charAt(2) != '-' || v.charAt(35) != '-' || v.charAt(52) != '-') {
      return "fields must be separated by '-' at offsets 2, 35 and 52";
    }
    if (!hex(v, 0, 2) || !hex(v, 3, 35) || !hex(v, 36, 52) || !hex(v, 53, 55)) {
      return "version, trace id, parent id and flags must be lowercase hex digits";
    }
    String version = v.substring(0, 2);
    if (version.equals("ff")) {
      return "version ff is invalid";
    }
    if (version.equals("00") && v.length() != TRACEPARENT_CHARS) {
      return "version 00 has exactly " + TRACEPARENT_CHARS + " characters, got " + v.length();
    }
    if (v.length() > TRACEPARENT_CHARS && v.charAt(TRACEPARENT_CHARS) != '-') {
      return "fields after the flags must follow a '-'";
    }
    if (zeros(v, 3, 35)) {
      return "the trace id is all zeros";
    }
    if (zeros(v, 36, 52)) {
      return "the parent id is all zeros";
    }
    return null;
  }

  private static String tracestateProblem(String v) {
    if (v.length() > TRACESTATE_CHARS_MAX) {
      return "length " + v.length() + " is over " + TRACESTATE_CHARS_MAX;
    }
    int members = 0;
    java.util.HashSet<String> keys = new java.util.HashSet<>();
    for (String raw : v.split(",", -1)) {
      String m = trimOws(raw);
      if (m.isEmpty()) {
        continue; // the W3C grammar allows empty members between commas
      }
      if (++members > TRACESTATE_MEMBERS_MAX) {
        return "more than " + TRACESTATE_MEMBERS_MAX + " members";
      }
      int eq = m.indexOf('=');
      if (eq <= 0) {
        return "member \"" + printable(m) + "\" is not key=value";
      }
      String key = m.substring(0, eq);
      if (!validKey(key)) {
        return "key \""
            + printable(key)
            + "\" is not lowercase letters, digits and _-*/ (with"
            + " at most one @), starting with a letter or digit";
      }
      if (!validValue(m.substring(eq + 1))) {
        return "the value of key \""
            + key
            + "\" is empty, over 256 characters, or holds a"
            + " character outside printable ASCII without ',' and '='";
      }
      if (!keys.add(key)) {
        return "key \"" + key + "\" appears twice";
      }
    }
    return members == 0 ? "it has no members; omit tracestate instead" : null;
  }

  /** {@code simple-key} or {@code tenant-id@system-id} of the W3C grammar. */
  private static boolean validKey(String key) {
    int at = key.indexOf('@');
    if (at < 0) {
      return key.length() <= 256 && isLowerAlpha(key.charAt(0)) && keyChars(key, 1, key.length());
    }
    String tenant = key.substring(0, at);
    String system = key.substring(at + 1);
    return !tenant.isEmpty()
        && tenant.length() <= 241
        && (isLowerAlpha(tenant.charAt(0)) || isDigit(tenant.charAt(0)))
        && keyChars(tenant, 1, tenant.length())
        && !system.isEmpty()
        && system.length() <= 14
        && isLowerAlpha(system.charAt(0))
        && keyChars(system, 1, system.length());
  }

  private static boolean keyChars(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!(isLowerAlpha(c) || isDigit(c) || c == '_' || c == '-' || c == '*' || c == '/')) {
        return false;
      }
    }
    return true;
  }

  /** 1 to 256 printable ASCII characters but ',' and '=', the last one not a space. */
  private static boolean validValue(String value) {
    if (value.isEmpty() || value.length() > 256 || value.charAt(value.length() - 1) == ' ') {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c > 0x7e || c == ',' || c == '=') {
        return false;
      }
    }
    return true;
  }

  private static String trimOws(String s) {
    int from = 0;
    int to = s.length();
    while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
      from++;
    }
    while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
      to--;
    }
    return s.substring(from, to);
  }

  private static boolean hex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!(isDigit(c) || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean zeros(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (s.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  private static boolean isLowerAlpha(char c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** The value for a message: control characters escaped, long values cut. */
  private static String printable(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && b.length() < 80; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return s.length() > 80 ? b + "..." : b.toString();
  }
}
