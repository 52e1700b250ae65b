package dev.hourglass.node;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;

/** The protocol's times: ISO-8601 in UTC on the way out; ISO-8601 or epoch millis on the way in. */
final class Iso {
  private Iso() {}

  /** {@code 2024-01-15T09:00:00Z}, with milliseconds only when they are not zero. */
  static String format(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).toString();
  }

  /**
   * Parses {@code 2024-01-15T09:00:00Z}, an explicit offset, a time without a zone (taken as UTC,
   * which is what Python's {@code datetime.isoformat()} prints for naive times) or epoch millis.
   *
   * @throws ProtocolException naming the field and the value when it is none of those
   */
  static long parse(String field, JsonNode value) {
    if (value.isIntegralNumber() && value.canConvertToLong()) {
      return value.longValue();
    }
    if (value.isTextual()) {
      String text = value.textValue().trim();
      try {
        return OffsetDateTime.parse(text).toInstant().toEpochMilli();
      } catch (DateTimeParseException withOffset) {
        try {
          return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeParseException withoutOffset) {
          // Fall through to the error, which shows an accepted form.
        }
      }
    }
    throw Request.malformed(
        "\""
            + field
            + "\" must be an ISO-8601 time such as"
            + " \"2024-01-15T09:00:00Z\" or epoch milliseconds; got "
            + value);
  }
}
