package dev.hourglass.server;

import dev.hourglass.core.engine.Invariants;
import java.util.List;

/**
 * The answers of the calls made once per job (submit, lease, complete), written straight into one
 * byte array of the exact size instead of through Jackson. Stateless, thread-safe.
 *
 * <p>Why: each such answer through {@link Http#MAPPER} allocates a serializer provider, an I/O
 * context, a generator with its write contexts and a byte builder, then copies the bytes out; at
 * 1,000 jobs/s that was the largest share of the server's own allocation, and allocation is what
 * sets how often the young collector pauses a job's start.
 *
 * <p>The output is the same bytes as {@link Http#MAPPER} writes for the same record (field order,
 * snake_case names, null fields left out, a raw payload as is). To keep that promise simple, this
 * writer handles only text that JSON writes verbatim: every string printable ASCII without a quote
 * or a backslash, every raw payload ASCII. Anything else (an escape, a non-ASCII character) makes
 * {@link #of} answer null, and the caller writes the record through Jackson as before.
 *
 * <p>Each answer is written twice by the same code: first only counting bytes, then into an array
 * of that size, so the answer costs one allocation.
 */
final class AsciiJson {
  private final byte[] out;
  private int size;

  /** Whether every string so far could be written verbatim; once false, the answer is null. */
  private boolean plain = true;

  private AsciiJson(byte[] out) {
    this.out = out;
  }

  /**
   * The JSON of a per-job answer, or null when {@code answer} is another type or holds text that
   * JSON would escape.
   */
  static byte[] of(Object answer) {
    var count = new AsciiJson(null);
    if (!count.write(answer) || !count.plain) {
      return null;
    }
    var fill = new AsciiJson(new byte[count.size]);
    fill.write(answer);
    if (fill.size != count.size) { // tested first: the check's arguments are boxed
      Invariants.check(false, "answer size changed: counted=%d written=%d", count.size, fill.size);
    }
    return fill.out;
  }

  /** Writes an answer of a type this writer knows; false for any other. */
  private boolean write(Object answer) {
    switch (answer) {
      case Wire.Submitted s -> submitted(s);
      case Wire.Assignments a -> assignments(a.assignments());
      case Wire.CompletionResults r -> results(r.results());
      default -> {
        return false;
      }
    }
    return true;
  }

  private void submitted(Wire.Submitted s) {
    ascii("{");
    first("\"job_id\":", s.jobId());
    string(",\"state\":", s.state());
    if (s.deduplicated() != null) {
      ascii(s.deduplicated() ? ",\"deduplicated\":true" : ",\"deduplicated\":false");
    }
    ascii("}");
  }

  private void assignments(List<Wire.Assignment> list) {
    ascii("{\"assignments\":[");
    for (int i = 0; i < list.size(); i++) {
      var a = list.get(i);
      ascii(i == 0 ? "{" : ",{");
      first("\"job_id\":", a.jobId());
      number(",\"generation\":", a.generation());
      string(",\"task\":", a.task());
      string(",\"queue\":", a.queue());
      raw(",\"payload\":", a.payload());
      number(",\"lease_expires_at\":", a.leaseExpiresAt());
      ascii(a.redelivered() ? ",\"redelivered\":true" : ",\"redelivered\":false");
      number(",\"attempt\":", a.attempt());
      string(",\"traceparent\":", a.traceparent());
      string(",\"tracestate\":", a.tracestate());
      ascii("}");
    }
    ascii("]}");
  }

  private void results(List<Wire.CompletionResult> list) {
    ascii("{\"results\":[");
    for (int i = 0; i < list.size(); i++) {
      var r = list.get(i);
      ascii(i == 0 ? "{" : ",{");
      first("\"job_id\":", r.jobId());
      string(",\"state\":", r.state());
      string(",\"code\":", r.code());
      string(",\"detail\":", r.detail());
      ascii("}");
    }
    ascii("]}");
  }

  /**
   * The first field, written without a comma before it: when it is null (no answer has one today)
   * the next field would open with a comma, so the answer is left to Jackson instead.
   */
  private void first(String name, String value) {
    if (value == null) {
      plain = false;
      return;
    }
    string(name, value);
  }

  /** A string field, left out when null, as Jackson's NON_NULL inclusion does. */
  private void string(String name, String value) {
    if (value == null) {
      return;
    }
    ascii(name);
    put('"');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      plain &= c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
      put(c);
    }
    put('"');
  }

  /** A value that is JSON text already ({@code @JsonRawValue}), left out when null. */
  private void raw(String name, String json) {
    if (json == null) {
      return;
    }
    ascii(name);
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      plain &= c < 0x80;
      put(c);
    }
  }

  private void number(String name, long value) {
    ascii(name);
    if (value == Long.MIN_VALUE) { // the one value whose negation is still negative
      ascii(Long.toString(value));
      return;
    }
    if (value < 0) {
      put('-');
      value = -value;
    }
    long scale = 1;
    while (scale <= value / 10) {
      scale *= 10;
    }
    for (; scale > 0; scale /= 10) {
      put((char) ('0' + value / scale % 10));
    }
  }

  /** Text of this class's own, ASCII by construction. */
  private void ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      put(s.charAt(i));
    }
  }

  private void put(char c) {
    if (out != null && size < out.length) {
      out[size] = (byte) c;
    }
    size++;
  }
}
