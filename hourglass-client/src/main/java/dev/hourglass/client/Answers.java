package dev.hourglass.client;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.hourglass.client.internal.Json;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the answers of the calls made once per job (submit, lease, complete batch) from their bytes
 * with Jackson's streaming parser, without building a {@code JsonNode} tree first. Stateless,
 * thread-safe.
 *
 * <p>Why: a tree is a map, an entry and a node per field, and these three answers are most of what
 * a client and a worker read; at 1,000 jobs/s the trees were the largest share of the bytes the SDK
 * allocated.
 *
 * <p>Each reader takes only the plain shape the server writes: an object whose known fields hold
 * strings, integers or booleans (a payload any JSON). On anything else (another type in a field, a
 * null where a number belongs, broken JSON, an empty body) it answers null, and the caller reads
 * the tree as before, so what a caller sees, errors included, is the same either way. Unknown
 * fields are skipped and a repeated field keeps its last value, as in a tree.
 */
final class Answers {
  private Answers() {}

  /** The answer of a submit, or null to read it as a tree. */
  static Submitted submitted(byte[] json) {
    try (JsonParser p = Json.MAPPER.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      String jobId = null;
      String state = null;
      boolean deduplicated = false;
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        switch (name) {
          case "job_id", "state" -> {
            if (!isText(v)) {
              return null;
            }
            if (name.equals("job_id")) {
              jobId = text(p, v);
            } else {
              state = text(p, v);
            }
          }
          case "deduplicated" -> {
            if (!v.isBoolean()) {
              return null;
            }
            deduplicated = v == JsonToken.VALUE_TRUE;
          }
          default -> p.skipChildren();
        }
      }
      return new Submitted(jobId, JobState.parse(state), deduplicated);
    } catch (IOException e) {
      return null; // broken JSON: the tree reader says why
    }
  }

  /** The jobs a lease granted, or null to read the answer as a tree. */
  static List<Assignment> assignments(byte[] json) {
    return list(json, "assignments", Answers::assignment);
  }

  /** The results of a batch of completions, or null to read the answer as a tree. */
  static List<CompletionResult> completionResults(byte[] json) {
    return list(json, "results", Answers::completionResult);
  }

  /** Reads one element, the parser at its START_OBJECT; null if it is not in the plain shape. */
  @FunctionalInterface
  private interface Element<T> {
    T read(JsonParser p) throws IOException;
  }

  /**
   * The list in {@code field} of an answer object, each element read by {@code element}; empty when
   * the field is absent; null to read the answer as a tree.
   */
  private static <T> List<T> list(byte[] json, String field, Element<T> element) {
    try (JsonParser p = Json.MAPPER.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return null;
      }
      List<T> out = List.of();
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        boolean ours = p.currentName().equals(field);
        JsonToken v = p.nextToken();
        if (!ours) {
          p.skipChildren();
          continue;
        }
        if (v != JsonToken.START_ARRAY) {
          return null;
        }
        List<T> list = new ArrayList<>();
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
          T one = e == JsonToken.START_OBJECT ? element.read(p) : null;
          if (one == null) {
            return null;
          }
          list.add(one);
        }
        out = List.copyOf(list);
      }
      return out;
    } catch (IOException e) {
      return null; // broken JSON: the tree reader says why
    }
  }

  /** One assignment, the parser at its START_OBJECT; null if it is not in the plain shape. */
  private static Assignment assignment(JsonParser p) throws IOException {
    String jobId = null;
    int generation = 0;
    String task = null;
    String queue = null;
    String payload = null;
    Instant leaseExpiresAt = null;
    boolean redelivered = false;
    int attempt = 0;
    String traceparent = null;
    String tracestate = null;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      boolean text = isText(v);
      boolean integer = v == JsonToken.VALUE_NUMBER_INT;
      switch (name) {
        case "job_id", "task", "queue", "traceparent", "tracestate" -> {
          if (!text) {
            return null;
          }
          String s = text(p, v);
          switch (name) {
            case "job_id" -> jobId = s;
            case "task" -> task = s;
            case "queue" -> queue = s;
            case "traceparent" -> traceparent = s;
            default -> tracestate = s;
          }
        }
        case "generation", "attempt" -> {
          if (!integer || p.getNumberType() != JsonParser.NumberType.INT) {
            return null;
          }
          if (name.equals("generation")) {
            generation = p.getIntValue();
          } else {
            attempt = p.getIntValue();
          }
        }
        case "lease_expires_at" -> {
          if (v == JsonToken.VALUE_NULL) {
            leaseExpiresAt = null;
          } else if (integer && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
            leaseExpiresAt = Instant.ofEpochMilli(p.getLongValue());
          } else {
            return null;
          }
        }
        case "redelivered" -> {
          if (!v.isBoolean()) {
            return null;
          }
          redelivered = v == JsonToken.VALUE_TRUE;
        }
        // The payload's text as the tree gave it: through the same tree reader, for this value.
        case "payload" ->
            payload = v == JsonToken.VALUE_NULL ? null : Json.MAPPER.readTree(p).toString();
        default -> p.skipChildren();
      }
    }
    return new Assignment(
        jobId,
        generation,
        task,
        queue,
        payload,
        leaseExpiresAt,
        redelivered,
        attempt,
        traceparent,
        tracestate);
  }

  /** One result, the parser at its START_OBJECT; null if it is not in the plain shape. */
  private static CompletionResult completionResult(JsonParser p) throws IOException {
    String jobId = null;
    String state = null;
    String code = null;
    String detail = null;
    for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      switch (name) {
        case "job_id", "state", "code", "detail" -> {
          if (!isText(v)) {
            return null;
          }
          String s = text(p, v);
          switch (name) {
            case "job_id" -> jobId = s;
            case "state" -> state = s;
            case "code" -> code = s;
            default -> detail = s;
          }
        }
        default -> p.skipChildren();
      }
    }
    return new CompletionResult(jobId, state == null ? null : JobState.parse(state), code, detail);
  }

  /** A string or null: what {@link Json#text} reads the same way from a tree. */
  private static boolean isText(JsonToken v) {
    return v == JsonToken.VALUE_STRING || v == JsonToken.VALUE_NULL;
  }

  private static String text(JsonParser p, JsonToken v) throws IOException {
    return v == JsonToken.VALUE_NULL ? null : p.getText();
  }
}
