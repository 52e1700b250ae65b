package dev.hourglass.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.hourglass.core.id.Ids;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.stream.Collectors;

/** Reading bounded JSON bodies and writing JSON and problem responses. Stateless, thread-safe. */
final class Http {
  private Http() {}

  static final String JSON = "application/json";
  static final String PROBLEM_JSON = "application/problem+json";

  /** What an empty body reads as; never written to. */
  private static final byte[] EMPTY_OBJECT = {'{', '}'};

  /**
   * How deep a request's JSON may nest. Why: a payload is data for a job, never a deep tree; a
   * hostile body of ten thousand brackets must not make the parser recurse that deep.
   */
  static final int JSON_DEPTH_MAX = 128;

  /**
   * Strict on input: unknown fields, trailing tokens, duplicate keys, nulls for primitives and
   * every scalar coercion are errors ("5" for 5, 5.5 for 5, 42 or true for a string, 1 for a
   * boolean, "a" for a list), so a typo or a wrong type is a 400 instead of a silently changed
   * option.
   */
  static final ObjectMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder().maxNestingDepth(JSON_DEPTH_MAX).build())
                  // Parser buffers shared by all threads, not kept per thread (Jackson's default):
                  // requests run on virtual threads, and a thread per connection would start
                  // with new buffers for each connection.
                  .recyclerPool(JsonRecyclerPools.newConcurrentDequePool())
                  .build())
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .disable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
          .disable(DeserializationFeature.UNWRAP_SINGLE_VALUE_ARRAYS)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          // ALLOW_COERCION_OF_SCALARS leaves numbers and booleans to strings allowed: refuse them.
          .withCoercionConfig(
              LogicalType.Textual,
              c ->
                  c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                      .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
          // And no "" as null, an empty list or zero anywhere.
          .withCoercionConfigDefaults(
              c ->
                  c.setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                      .setAcceptBlankAsEmpty(false))
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .build();

  /**
   * Reads and parses a body of at most {@code limit} bytes into a request record. An empty body
   * reads as {@code {}}; any other body must be {@code application/json} (415 otherwise) and a JSON
   * object ({@code null}, arrays and scalars are 400).
   */
  static <T> T body(ServerRequest req, int limit, Class<T> type) {
    return parse(bytes(req, limit), type);
  }

  /**
   * Parses a body read by {@link #bytes}: empty is {@code {}}; JSON null is refused. A plain body
   * is read by {@link RequestReader}, any other through {@link #MAPPER}, which says what is wrong.
   */
  static <T> T parse(byte[] bytes, Class<T> type) {
    byte[] json = bytes.length == 0 ? EMPTY_OBJECT : bytes;
    T value = RequestReader.read(json, type);
    if (value != null) {
      return value;
    }
    try {
      value = MAPPER.readValue(json, type);
    } catch (IOException e) {
      throw parseError(e, type);
    }
    if (value == null) { // the body was the JSON literal null
      throw ApiException.badRequest(
          "INVALID_TYPE",
          "the body is JSON null; it must be a JSON"
              + " object such as {} (or empty where every field is optional); nothing was applied");
    }
    return value;
  }

  /**
   * How much of a refused body the server reads and throws away before it answers. A client sends
   * its whole body before it reads the answer; a server that answers early and closes the
   * connection with those bytes unread in its receive buffer makes TCP send a reset, and the reset
   * destroys the 413 or 415 before the client has read it (the client sees "connection reset" or an
   * empty answer instead of the reason). Reading the rest avoids that and keeps the connection
   * usable. Tomcat's {@code maxSwallowSize} makes the same trade with the same bound; above it the
   * answer says {@code Connection: close} and a client still sending may see a reset.
   */
  static final long SWALLOW_BYTES_MAX = 2L << 20;

  /**
   * The raw body of a JSON request: refused with 413 when Content-Length is over the limit (the
   * body is discarded unread, never parsed), and with 415 when there is a body that is not declared
   * {@code application/json}.
   */
  static byte[] bytes(ServerRequest req, int limit) {
    var length = req.headers().contentLength();
    if (!req.content().hasEntity() || (length.isPresent() && length.getAsLong() == 0)) {
      return new byte[0]; // no body: the content type does not matter
    }
    try (InputStream in = req.content().inputStream()) {
      if (length.isPresent() && length.getAsLong() > limit) {
        throw refusedAfterSwallowing(in, tooLarge(length.getAsLong(), limit));
      }
      try {
        requireJson(req.headers().first(HeaderNames.CONTENT_TYPE).orElse(null));
      } catch (ApiException e) {
        throw refusedAfterSwallowing(in, e);
      }
      if (length.isPresent()) {
        // The usual case: read exactly the declared bytes. readNBytes(limit + 1) would allocate
        // and zero buffers sized for the limit on every small request (the top frame in a
        // profile of the one-job-per-request load).
        byte[] bytes = new byte[(int) length.getAsLong()];
        int read = in.readNBytes(bytes, 0, bytes.length);
        if (read < bytes.length) {
          throw ApiException.badRequest(
              "MALFORMED_REQUEST",
              "the body ended after "
                  + read
                  + " of the "
                  + bytes.length
                  + " bytes its Content-Length announced");
        }
        return bytes;
      }
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw refusedAfterSwallowing(in, tooLarge(-1, limit));
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("reading the request body failed", e);
    }
  }

  /**
   * The refusal to throw once the rest of the body is read and discarded (up to {@link
   * #SWALLOW_BYTES_MAX}); when the body is longer, or reading it fails, the refusal closes the
   * connection instead.
   */
  private static ApiException refusedAfterSwallowing(InputStream in, ApiException refusal) {
    try {
      long left = SWALLOW_BYTES_MAX;
      byte[] sink = new byte[8192];
      int n;
      while (left > 0 && (n = in.read(sink, 0, (int) Math.min(sink.length, left))) >= 0) {
        left -= n;
      }
      return left > 0 || in.read() < 0 ? refusal : refusal.closingConnection();
    } catch (IOException | RuntimeException e) {
      return refusal.closingConnection();
    }
  }

  private static ApiException tooLarge(long length, int limit) {
    return new ApiException(
        413,
        "BODY_TOO_LARGE",
        "Content too large",
        ("request body too large: contentLength=%s limit=%d bytes; nothing was applied; split a"
                + " batch or store large payloads elsewhere and pass a reference")
            .formatted(length < 0 ? "over the limit (chunked)" : Long.toString(length), limit));
  }

  /**
   * 415 unless the declared type is {@code application/json}, with an optional {@code charset} that
   * must be UTF-8 (RFC 8259 allows no other). A body without a Content-Type is refused as well:
   * curl's {@code -d} sends form data unless told otherwise, and guessing would accept a form body
   * as JSON.
   */
  static void requireJson(String contentType) {
    if (JSON.equals(contentType)) {
      return; // what clients send: no need to split it into parameters
    }
    if (contentType == null || contentType.isBlank()) {
      throw unsupported("the request has a body but no Content-Type");
    }
    String[] parts = contentType.split(";");
    String type = parts[0].trim().toLowerCase(Locale.ROOT);
    if (!type.equals(JSON)) {
      throw unsupported("Content-Type \"" + JobSpecs.abbreviate(contentType) + "\" is not JSON");
    }
    for (int i = 1; i < parts.length; i++) {
      String p = parts[i].trim().toLowerCase(Locale.ROOT).replace("\"", "");
      if (p.startsWith("charset=") && !p.equals("charset=utf-8")) {
        throw unsupported(
            "Content-Type \""
                + JobSpecs.abbreviate(contentType)
                + "\" names a"
                + " charset other than UTF-8");
      }
    }
  }

  private static ApiException unsupported(String what) {
    return new ApiException(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "Unsupported media type",
        what
            + "; send the body as JSON with \"Content-Type: application/json\" (with curl: -H"
            + " 'Content-Type: application/json'); nothing was applied");
  }

  static ApiException parseError(IOException e, Class<?> type) {
    String where =
        type == Wire.NoFields.class
            ? " (this call takes no fields: send no body, or {}); nothing was applied"
            : " in a " + name(type) + " body; nothing was applied";
    JsonProcessingException syntax = syntaxError(e);
    if (syntax instanceof StreamConstraintsException bound) {
      return ApiException.badRequest(
          "MALFORMED_JSON",
          (bound.getOriginalMessage().contains("nesting depth")
                  ? "the body nests deeper than jsonDepthMax="
                      + JSON_DEPTH_MAX
                      + " levels of arrays and objects"
                  : "the body exceeds a bound of the JSON parser: " + bound.getOriginalMessage())
              + where);
    }
    if (syntax != null) {
      return ApiException.badRequest(
          "MALFORMED_JSON",
          "the body is not valid JSON: " + syntax.getOriginalMessage() + at(syntax) + where);
    }
    return switch (e) {
      case UnrecognizedPropertyException u ->
          ApiException.badRequest(
              "UNKNOWN_FIELD",
              "unknown field \""
                  + u.getPropertyName()
                  + "\""
                  + where
                  + "; known fields: "
                  + u.getKnownPropertyIds().stream()
                      .map(Object::toString)
                      .sorted()
                      .collect(Collectors.joining(", ")));
      case InvalidFormatException f ->
          ApiException.badRequest(
              "INVALID_TYPE",
              "field \""
                  + path(f)
                  + "\" has a value of the wrong type ("
                  + shown(f.getValue())
                  + ", expected "
                  + expected(f.getTargetType())
                  + ")"
                  + where);
      case MismatchedInputException m ->
          ApiException.badRequest(
              "INVALID_TYPE",
              (m.getPath().isEmpty()
                      ? "the body must be a JSON object"
                      : "field \""
                          + path(m)
                          + "\" has a value of the wrong type (expected "
                          + expected(m.getTargetType())
                          + ")")
                  + where);
      case JsonMappingException m ->
          ApiException.badRequest(
              "INVALID_TYPE",
              "field \"" + path(m) + "\" is invalid: " + m.getOriginalMessage() + where);
      case JacksonException j ->
          ApiException.badRequest(
              "MALFORMED_JSON", "the body is not valid JSON: " + j.getOriginalMessage() + where);
      default ->
          ApiException.badRequest(
              "MALFORMED_JSON", "the body could not be read as JSON: " + e.getMessage() + where);
    };
  }

  /**
   * The parser's own error, if the failure is in the text rather than in its types: bad syntax,
   * invalid UTF-8, nesting over {@link #JSON_DEPTH_MAX}. Jackson wraps such an error in a {@link
   * JsonMappingException} when it happens inside a field, which must not turn it into a type error.
   * A number out of range for its field stays a type error.
   */
  private static JsonProcessingException syntaxError(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StreamReadException s && !(t instanceof InputCoercionException)) {
        return s;
      }
      if (t instanceof StreamConstraintsException s) {
        return s;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  private static String at(JsonProcessingException e) {
    var l = e.getLocation();
    return l == null || l.getLineNr() < 0
        ? ""
        : " at line " + l.getLineNr() + " column " + l.getColumnNr();
  }

  private static String shown(Object value) {
    if (value instanceof String s) {
      return "\"" + JobSpecs.abbreviate(s) + "\"";
    }
    return JobSpecs.abbreviate(String.valueOf(value));
  }

  /** The JSON type a Java field takes, for messages. */
  private static String expected(Class<?> type) {
    if (type == null) {
      return "another type";
    }
    if (type == String.class || type.isEnum()) {
      return "a string";
    }
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
      return "an integer";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "true or false";
    }
    if (java.util.Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "an array";
    }
    if (type.isRecord() || java.util.Map.class.isAssignableFrom(type)) {
      return "an object";
    }
    return type.getSimpleName();
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  private static String name(Class<?> type) {
    String n = type.getSimpleName().replace("Request", "");
    return n.toLowerCase(Locale.ROOT);
  }

  /**
   * Answers {@code body} as JSON: a per-job answer through {@link AsciiJson} when it can write it,
   * anything else through {@link #MAPPER}; the bytes are the same either way.
   */
  static void json(ServerResponse res, int status, Object body) {
    byte[] bytes = AsciiJson.of(body);
    if (bytes == null) {
      try {
        bytes = MAPPER.writeValueAsBytes(body);
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("response did not serialise: " + body.getClass(), e);
      }
    }
    // Helidon's shared header, not a new one per answer: "Content-Type: application/json".
    res.status(status).header(HeaderValues.CONTENT_TYPE_JSON).send(bytes);
  }

  static void problem(ServerResponse res, ApiException e) {
    var body =
        new Wire.Problem(
            "urn:hourglass:problem:" + e.code().toLowerCase(Locale.ROOT).replace('_', '-'),
            e.title(),
            e.status(),
            e.getMessage(),
            e.code());
    byte[] bytes;
    try {
      bytes = MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException x) {
      throw new IllegalStateException("problem did not serialise", x);
    }
    if (e.retryAfterSeconds() != null) {
      res.header(HeaderNames.RETRY_AFTER, e.retryAfterSeconds());
    }
    if (e.closesConnection()) {
      res.header(HeaderNames.CONNECTION, "close"); // the rest of a huge body stays unread
    }
    res.status(e.status()).header(HeaderNames.CONTENT_TYPE, PROBLEM_JSON).send(bytes);
  }

  /**
   * A list of names from a request (queues, parents): absent is empty; a null element, or one that
   * is not an id ({@link Ids}), is a 400 naming the field, instead of a NullPointerException deep
   * in a command constructor or a queue name that can never match.
   */
  static java.util.List<String> names(java.util.List<String> list, String field) {
    if (list == null) {
      return java.util.List.of();
    }
    for (int i = 0; i < list.size(); i++) {
      String name = list.get(i);
      String problem =
          name == null
              ? field + "[" + i + "] is null; give a name, or leave the" + " element out"
              : Ids.problem(field + "[" + i + "]", name);
      if (problem != null) {
        throw ApiException.badRequest("INVALID_ARGUMENT", problem + "; nothing was changed");
      }
    }
    return list;
  }
}
