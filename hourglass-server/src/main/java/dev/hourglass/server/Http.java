package dev.hourglass.server;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.helidon.http.HeaderNames;
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

  /**
   * Strict on input: unknown fields, trailing tokens, duplicate keys, nulls for primitives and
   * scalar coercion ("5" for 5, 5.5 for 5) are errors, so a typo is a 400 instead of a silently
   * ignored option.
   */
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
          .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .serializationInclusion(JsonInclude.Include.NON_NULL)
          .build();

  /** Reads and parses a body of at most {@code limit} bytes; an empty body reads as "{}". */
  static <T> T body(ServerRequest req, int limit, Class<T> type) {
    byte[] bytes = bytes(req, limit);
    if (bytes.length == 0) {
      bytes = new byte[] {'{', '}'};
    }
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw parseError(e, type);
    }
  }

  /** The raw body, refused with 413 before reading when Content-Length is over the limit. */
  static byte[] bytes(ServerRequest req, int limit) {
    var length = req.headers().contentLength();
    if (length.isPresent() && length.getAsLong() > limit) {
      throw tooLarge(length.getAsLong(), limit);
    }
    if (!req.content().hasEntity()) {
      return new byte[0];
    }
    try (InputStream in = req.content().inputStream()) {
      if (length.isPresent()) {
        // The usual case: read exactly the declared bytes. readNBytes(limit + 1) would allocate
        // and zero buffers sized for the limit on every small request (the top frame in a
        // profile of the one-job-per-request load).
        byte[] bytes = new byte[(int) length.getAsLong()];
        int read = in.readNBytes(bytes, 0, bytes.length);
        if (read < bytes.length) {
          throw ApiException.badRequest("MALFORMED_REQUEST", "the body ended after " + read
              + " of the " + bytes.length + " bytes its Content-Length announced");
        }
        return bytes;
      }
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) {
        throw tooLarge(-1, limit);
      }
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("reading the request body failed", e);
    }
  }

  private static ApiException tooLarge(long length, int limit) {
    return new ApiException(413, "BODY_TOO_LARGE", "Content too large",
        ("request body too large: contentLength=%s limit=%d bytes; nothing was applied; split a"
            + " batch or store large payloads elsewhere and pass a reference")
            .formatted(length < 0 ? "over the limit (chunked)" : Long.toString(length), limit));
  }

  static ApiException parseError(IOException e, Class<?> type) {
    String where = " in a " + name(type) + " body; nothing was applied";
    return switch (e) {
      case UnrecognizedPropertyException u -> ApiException.badRequest("UNKNOWN_FIELD",
          "unknown field \"" + u.getPropertyName() + "\"" + where + "; known fields: "
              + u.getKnownPropertyIds().stream().map(Object::toString).sorted()
                  .collect(Collectors.joining(", ")));
      case InvalidFormatException f -> ApiException.badRequest("INVALID_TYPE",
          "field \"" + path(f) + "\" has a value of the wrong type or format (" + f.getValue()
              + ", expected " + f.getTargetType().getSimpleName() + ")" + where);
      case MismatchedInputException m -> ApiException.badRequest("INVALID_TYPE",
          (m.getPath().isEmpty() ? "the body must be a JSON object"
              : "field \"" + path(m) + "\" has a value of the wrong type (expected "
                  + m.getTargetType().getSimpleName() + ")") + where);
      case JsonParseException p -> ApiException.badRequest("MALFORMED_JSON",
          "the body is not valid JSON: " + p.getOriginalMessage() + " at line "
              + p.getLocation().getLineNr() + " column " + p.getLocation().getColumnNr() + where);
      case JsonMappingException m -> ApiException.badRequest("INVALID_TYPE",
          "field \"" + path(m) + "\" is invalid: " + m.getOriginalMessage() + where);
      case JacksonException j -> ApiException.badRequest("MALFORMED_JSON",
          "the body is not valid JSON: " + j.getOriginalMessage() + where);
      default -> new ApiException(400, "MALFORMED_JSON", "Bad request",
          "the body could not be read: " + e.getMessage() + where);
    };
  }

  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining(".")).replace(".[", "[");
  }

  private static String name(Class<?> type) {
    String n = type.getSimpleName().replace("Request", "");
    return n.toLowerCase(Locale.ROOT);
  }

  static void json(ServerResponse res, int status, Object body) {
    byte[] bytes;
    try {
      bytes = MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response did not serialise: " + body.getClass(), e);
    }
    res.status(status).header(HeaderNames.CONTENT_TYPE, JSON).send(bytes);
  }

  static void problem(ServerResponse res, ApiException e) {
    var body = new Wire.Problem("urn:hourglass:problem:" + e.code().toLowerCase(Locale.ROOT)
        .replace('_', '-'), e.title(), e.status(), e.getMessage(), e.code());
    byte[] bytes;
    try {
      bytes = MAPPER.writeValueAsBytes(body);
    } catch (JsonProcessingException x) {
      throw new IllegalStateException("problem did not serialise", x);
    }
    if (e.retryAfterSeconds() != null) {
      res.header(HeaderNames.RETRY_AFTER, e.retryAfterSeconds());
    }
    if (e.status() == 413) {
      res.header(HeaderNames.CONNECTION, "close"); // do not read the rest of a huge body
    }
    res.status(e.status()).header(HeaderNames.CONTENT_TYPE, PROBLEM_JSON).send(bytes);
  }

  /**
   * A list of names from a request (queues, parents): absent is empty; a null or empty element
   * is a 400 naming the field, instead of a NullPointerException deep in a command constructor.
   */
  static java.util.List<String> names(java.util.List<String> list, String field) {
    if (list == null) {
      return java.util.List.of();
    }
    for (int i = 0; i < list.size(); i++) {
      String name = list.get(i);
      if (name == null || name.isEmpty()) {
        throw ApiException.badRequest("INVALID_ARGUMENT", field + "[" + i + "] is "
            + (name == null ? "null" : "empty") + "; give a name, or leave the element out;"
            + " nothing was changed");
      }
    }
    return list;
  }
}
