package dev.hourglass.spring;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.NonRetryableException;
import java.lang.reflect.Type;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * Binds with the application's Jackson 3 {@link JsonMapper} (its modules and features), set to
 * snake_case names because that is how the SDK writes payloads ({@code JobRequest.payload}) and how
 * the HTTP API names fields. The SDK itself speaks Jackson 2, so the two meet in JSON text: the
 * payload's text is read by the application's mapper (generic types kept); a result is written to
 * text by it and handed to the SDK as a Jackson 2 tree, which the SDK sends as is. Thread-safe:
 * both mappers are immutable once built.
 */
final class JacksonPayloadBinding implements PayloadBinding {
  /** Only parses text into a tree: no naming, no features that could change a value. */
  private static final ObjectMapper TREES = new ObjectMapper();

  private final JsonMapper mapper;

  JacksonPayloadBinding(JsonMapper application) {
    this.mapper =
        application.rebuild().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();
  }

  @Override
  public Object read(JobContext ctx, Type type) {
    String text = ctx.payload();
    if (text == null) {
      return null;
    }
    try {
      return mapper.readValue(text, mapper.getTypeFactory().constructType(type));
    } catch (JacksonException e) {
      throw new NonRetryableException(
          "payload of job "
              + ctx.jobId()
              + " (task "
              + ctx.task()
              + ") does not fit "
              + type.getTypeName()
              + ": "
              + e.getOriginalMessage(),
          e);
    }
  }

  @Override
  public Object write(Object result) {
    if (result == null) {
      return null;
    }
    String text = mapper.writeValueAsString(result);
    try {
      return TREES.readTree(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(
          "result of type "
              + result.getClass().getName()
              + " was written as JSON that Jackson 2 cannot read back: "
              + e.getOriginalMessage(),
          e);
    }
  }
}
