package dev.hourglass.client.internal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON helpers shared by the client and the worker SDK. Not API: may change in any release.
 * Stateless, thread-safe.
 */
public final class Json {
  private Json() {}

  /**
   * Lenient on input (a newer server may add fields), snake_case for objects a caller hands in as
   * payloads or results.
   */
  public static final ObjectMapper MAPPER =
      JsonMapper.builder(
              // Why a shared pool of parser buffers: Jackson's default keeps them per thread, and a
              // Worker's handlers each run on a fresh virtual thread, so every call they made (a
              // completion, a heartbeat) allocated new ones: 17% of all the bytes allocated at
              // 1,000 jobs/s through the SDK.
              JsonFactory.builder()
                  .recyclerPool(JsonRecyclerPools.newConcurrentDequePool())
                  .build())
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  /**
   * Parses JSON text.
   *
   * @param text JSON text
   * @param what names the text in the message, e.g. "payload"
   * @return the tree
   * @throws IllegalArgumentException if the text is not JSON
   */
  public static JsonNode parse(String text, String what) {
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw notJson(what, e);
    }
  }

  /**
   * Parses JSON in UTF-8, as a server's answer comes, without making a string of it first.
   *
   * @param utf8 JSON text in UTF-8
   * @param what names the text in the message, e.g. "the server's answer"
   * @return the tree
   * @throws IllegalArgumentException if the bytes are not JSON
   */
  public static JsonNode parse(byte[] utf8, String what) {
    try {
      return MAPPER.readTree(utf8);
    } catch (JsonProcessingException e) {
      throw notJson(what, e);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // not thrown when reading from an array
    }
  }

  /**
   * A tree as JSON in UTF-8: a plain tree straight into one array ({@link PlainJson}), any other
   * through {@link #MAPPER} and its shared buffers ({@link JsonNode#toString} writes through a
   * mapper of Jackson's own, with buffers per thread). The bytes are Jackson's either way.
   *
   * @param tree the tree
   * @return its JSON text in UTF-8
   */
  public static byte[] bytes(JsonNode tree) {
    byte[] plain = PlainJson.bytes(tree);
    if (plain != null) {
      return plain;
    }
    try {
      return MAPPER.writeValueAsBytes(tree);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a JSON tree could not be written: " + e.getMessage(), e);
    }
  }

  private static IllegalArgumentException notJson(String what, JsonProcessingException e) {
    return new IllegalArgumentException(
        what
            + " is not valid JSON: "
            + e.getOriginalMessage()
            + "; give a JSON value such as {\"key\": 1} or \"text\"",
        e);
  }

  /**
   * Any value as a JSON tree: a {@link JsonNode} as is, anything else through Jackson.
   *
   * @param value the value, or null
   * @param what names the value in the message
   * @return the tree, or null for null
   * @throws IllegalArgumentException if Jackson cannot serialise the value
   */
  public static JsonNode tree(Object value, String what) {
    if (value == null || value instanceof JsonNode) {
      return (JsonNode) value;
    }
    try {
      return MAPPER.valueToTree(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          what
              + " of type "
              + value.getClass().getName()
              + " cannot be written as JSON: "
              + e.getMessage(),
          e);
    }
  }

  /**
   * A field's JSON text, or null when absent or JSON null.
   *
   * @param node an object
   * @param field the field name
   * @return the text
   * @throws NullPointerException if node is null
   */
  public static String raw(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.toString();
  }

  /**
   * A text field, or null.
   *
   * @param node an object
   * @param field the field name
   * @return the text
   * @throws NullPointerException if node is null
   */
  public static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /**
   * An epoch-milliseconds field as an instant, or null.
   *
   * @param node an object
   * @param field the field name
   * @return the instant
   * @throws NullPointerException if node is null
   */
  public static Instant instant(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : Instant.ofEpochMilli(v.asLong());
  }

  /**
   * A list of strings, empty when absent.
   *
   * @param node an object
   * @param field the field name
   * @return the strings
   * @throws NullPointerException if node is null
   */
  public static List<String> strings(JsonNode node, String field) {
    List<String> out = new ArrayList<>();
    for (JsonNode v : node.path(field)) {
      out.add(v.asText());
    }
    return List.copyOf(out);
  }
}
