package dev.hourglass.cli.commands;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.hourglass.client.Job;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** Prints client answers as JSON (snake_case, ISO times, payloads as JSON) or as text. */
public final class Output {
  private Output() {}

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
          .addModule(
              new SimpleModule()
                  .addSerializer(Instant.class, ToStringSerializer.instance)
                  .addSerializer(Duration.class, ToStringSerializer.instance))
          .build();
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneId.systemDefault());
  private static final DateTimeFormatter DATE_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

  /** Any answer as a JSON tree; a job's payload and result are embedded as JSON, not text. */
  public static JsonNode tree(Object value) {
    if (value instanceof Job j) {
      ObjectNode n = MAPPER.valueToTree(j);
      n.set("payload", parse(j.payload()));
      n.set("result", parse(j.result()));
      return n;
    }
    if (value instanceof List<?> list) {
      var arr = MAPPER.createArrayNode();
      list.forEach(v -> arr.add(tree(v)));
      return arr;
    }
    return MAPPER.valueToTree(value);
  }

  private static JsonNode parse(String text) {
    try {
      return text == null ? MAPPER.nullNode() : MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return MAPPER.getNodeFactory().textNode(text);
    }
  }

  public static void json(PrintStream out, Object value) {
    try {
      out.println(MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree(value)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("answer did not serialise: " + value, e);
    }
  }

  /** A date and time in the local zone, or "-": for times that may be days away. */
  public static String dateTime(Instant t) {
    return t == null ? "-" : DATE_TIME.format(t);
  }

  /** A time of day in the local zone, or "-". */
  public static String time(Instant t) {
    return t == null ? "-" : TIME.format(t);
  }
}
