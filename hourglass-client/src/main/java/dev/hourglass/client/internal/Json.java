package dev.hourglass.client.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;
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
      JsonMapper.builder()
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
      throw new IllegalArgumentException(
          what
              + " is not valid JSON: "
              + e.getOriginalMessage()
              + "; give a JSON value such as {\"key\": 1} or \"text\"",
          e);
    }
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
