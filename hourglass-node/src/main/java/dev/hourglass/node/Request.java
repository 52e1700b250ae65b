package dev.hourglass.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hourglass.node.ProtocolException.ErrorKind;

/**
 * One message body, with typed access to its fields that fails with a specific {@code
 * malformed-request} error, and the reply builder that puts {@code in_reply_to} where the protocol
 * wants it.
 */
record Request(String type, ObjectNode body) {

  /**
   * Unwraps an envelope ({@code {"src", "dest", "body"}}) or takes a bare body.
   *
   * @throws ProtocolException if the value is not an object or has no string {@code type}
   */
  static Request of(JsonNode value) {
    if (!value.isObject()) {
      throw malformed(
          "a message must be a JSON object, got "
              + value.getNodeType()
              + ": "
              + abbreviate(value.toString()));
    }
    JsonNode body = value;
    if (value.get("body") instanceof ObjectNode inner && !value.has("type")) {
      body = inner;
    }
    JsonNode type = body.get("type");
    if (type == null || !type.isTextual()) {
      throw malformed("a message body needs a string \"type\"; got " + abbreviate(body.toString()));
    }
    return new Request(type.textValue(), (ObjectNode) body);
  }

  /**
   * A reply body: {@code type} first, then {@code in_reply_to} when the request had a {@code
   * msg_id}; callers append the rest in the order the protocol prints them.
   */
  ObjectNode reply(String replyType) {
    ObjectNode reply = JsonNodeFactory.instance.objectNode();
    reply.put("type", replyType);
    JsonNode msgId = body.get("msg_id");
    if (msgId != null && !msgId.isNull()) {
      reply.set("in_reply_to", msgId);
    }
    return reply;
  }

  String requiredText(String field) {
    JsonNode v = body.get(field);
    if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
      throw malformed(
          type
              + " needs a non-empty string \""
              + field
              + "\"; got "
              + (v == null ? "nothing" : v.toString()));
    }
    return v.textValue();
  }

  /** The field's text, or {@code otherwise} when it is absent or null. */
  String text(String field, String otherwise) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return otherwise;
    }
    if (!v.isTextual()) {
      throw malformed(type + ": \"" + field + "\" must be a string; got " + v);
    }
    return v.textValue();
  }

  /** The field as a whole number, or {@code otherwise} when it is absent or null. */
  long whole(String field, long otherwise) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return otherwise;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw malformed(type + ": \"" + field + "\" must be a whole number; got " + v);
    }
    return v.longValue();
  }

  /** The field as a whole number in [min, max], or {@code otherwise} when absent or null. */
  long whole(String field, long otherwise, long min, long max) {
    long value = whole(field, otherwise);
    if (value < min || value > max) {
      throw malformed(
          type + ": \"" + field + "\"=" + value + " is outside [" + min + ", " + max + "]");
    }
    return value;
  }

  boolean flag(String field) {
    JsonNode v = body.get(field);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw malformed(type + ": \"" + field + "\" must be true or false; got " + v);
    }
    return v.booleanValue();
  }

  JsonNode field(String field) {
    return body.get(field);
  }

  static ProtocolException malformed(String text) {
    return new ProtocolException(ErrorKind.MALFORMED_REQUEST, text);
  }

  /** Keeps error texts to one readable line even when the offending input is large. */
  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...(" + s.length() + " chars)";
  }
}
