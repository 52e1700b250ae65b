package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A body the request reader takes gives the record the strict mapper gives, and every body the
 * mapper refuses is left to the mapper (so its refusal keeps its code and message). Randomized with
 * a printed seed; replay one with {@code -Drequestreader.seed=N}.
 */
class RequestReaderTest {
  private static final int CASES_PER_TYPE = 1_500;

  private static final List<Class<?>> TYPES =
      List.of(
          Wire.JobRequest.class,
          Wire.BatchRequest.class,
          Wire.LeaseRequest.class,
          Wire.CompleteRequest.class,
          Wire.CompleteBatchRequest.class,
          Wire.FailRequest.class,
          Wire.HeartbeatRequest.class,
          Wire.ReleaseRequest.class,
          Wire.CancelRequest.class,
          Wire.SignalsRequest.class,
          Wire.NoFields.class);

  @Test
  void aBodyTheReaderTakesGivesWhatTheMapperGives() {
    long seed = Long.getLong("requestreader.seed", System.nanoTime());
    System.out.println("requestreader.seed=" + seed);
    var random = new Random(seed);
    for (Class<?> type : TYPES) {
      int taken = 0;
      for (int i = 0; i < CASES_PER_TYPE; i++) {
        String body = object(random, type, 0);
        if (random.nextInt(40) == 0) {
          body += random.nextBoolean() ? " {}" : " ";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Object mapped;
        try {
          mapped = Http.MAPPER.readValue(bytes, type);
        } catch (Exception e) {
          mapped = e;
        }
        Object read = RequestReader.read(bytes, type);
        if (read != null) {
          taken++;
          assertThat(read)
              .as("seed=%d type=%s body=%s", seed, type.getSimpleName(), body)
              .isEqualTo(mapped);
        }
      }
      assertThat(taken)
          .as("bodies of %s read without data binding, seed=%d", type.getSimpleName(), seed)
          .isGreaterThan(CASES_PER_TYPE / 20);
    }
  }

  @Test
  void theBodiesSentPerJobAreReadAndOthersAreLeftToTheMapper() {
    var lease =
        RequestReader.read(
            bytes("{\"worker_id\":\"w\",\"max\":16,\"wait_ms\":30000,\"tasks\":[\"noop\"]}"),
            Wire.LeaseRequest.class);
    assertThat(lease)
        .isEqualTo(new Wire.LeaseRequest("w", 16, 30_000L, null, null, List.of("noop"), null));
    assertThat(
            RequestReader.read(
                bytes(
                    "{\"worker_id\":\"w\",\"completions\":[{\"job_id\":\"j\",\"generation\":1}]}"),
                Wire.CompleteBatchRequest.class))
        .isNotNull();
    assertThat(
            RequestReader.read(bytes("{\"job_id\":\"j\",\"task\":\"t\"}"), Wire.JobRequest.class))
        .isNotNull();
    assertThat(RequestReader.read(bytes("{}"), Wire.NoFields.class)).isNotNull();
    assertThat(RequestReader.read(bytes("{\"max\":\"5\"}"), Wire.LeaseRequest.class)).isNull();
    assertThat(RequestReader.read(bytes("{\"mx\":5}"), Wire.LeaseRequest.class)).isNull();
    assertThat(RequestReader.read(bytes("null"), Wire.LeaseRequest.class)).isNull();
    assertThat(RequestReader.read(bytes("{\"worker_id\":\"w\"} x"), Wire.LeaseRequest.class))
        .isNull();
    assertThat(RequestReader.read(bytes("{\"capacity\":1}"), Wire.WorkerRequest.class))
        .as("a map field: left to the mapper")
        .isNull();
  }

  /** A record Jackson reads by another name than its component's: no plan, the mapper reads it. */
  record Renamed(@JsonProperty("id") String jobId) {}

  @Test
  void aRecordJacksonReadsByAnnotationIsLeftToTheMapper() throws Exception {
    assertThat(RequestReader.read(bytes("{\"job_id\":\"j\"}"), Renamed.class)).isNull();
    assertThat(Http.MAPPER.readValue(bytes("{\"id\":\"j\"}"), Renamed.class))
        .isEqualTo(new Renamed("j"));
  }

  @Test
  void namesAndStringsOverTheMappersLimitsAreLeftToTheMapperWhichRefusesThem() {
    var limits = Http.MAPPER.getFactory().streamReadConstraints();
    String longestKey = "k".repeat(limits.getMaxNameLength());
    String atLimit = "{\"task\":\"t\",\"payload\":{\"" + longestKey + "\":1}}";
    assertThat(RequestReader.read(bytes(atLimit), Wire.JobRequest.class)).isNotNull();

    String overLimit = "{\"task\":\"t\",\"payload\":{\"" + longestKey + "k\":1}}";
    assertThat(RequestReader.read(bytes(overLimit), Wire.JobRequest.class)).isNull();
    assertThatThrownBy(() -> Http.MAPPER.readValue(bytes(overLimit), Wire.JobRequest.class))
        .hasMessageContaining("Name length");

    String longString = "{\"task\":\"" + "t".repeat(limits.getMaxStringLength() + 1) + "\"}";
    assertThat(RequestReader.read(bytes(longString), Wire.JobRequest.class)).isNull();
    assertThatThrownBy(() -> Http.MAPPER.readValue(bytes(longString), Wire.JobRequest.class))
        .hasMessageContaining("String value length");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A JSON object with some of the record's fields, sometimes odd ones. */
  private static String object(Random r, Class<?> type, int depth) {
    var snake = new PropertyNamingStrategies.SnakeCaseStrategy();
    RecordComponent[] components = type.getRecordComponents();
    List<String> fields = new ArrayList<>();
    for (var c : components) {
      if (r.nextInt(Math.max(3, components.length / 3)) == 0) { // about three fields or fewer
        fields.add("\"" + snake.translate(c.getName()) + "\":" + value(r, c, depth));
      }
    }
    if (components.length > 0 && r.nextInt(25) == 0) { // a repeated field
      var c = components[r.nextInt(components.length)];
      fields.add("\"" + snake.translate(c.getName()) + "\":" + value(r, c, depth));
    }
    if (r.nextInt(25) == 0) {
      fields.add("\"unknown_field\":1");
    }
    java.util.Collections.shuffle(fields, r);
    String space =
        switch (r.nextInt(4)) {
          case 0 -> " ";
          case 1 -> "\n\t ";
          default -> "";
        };
    return space + "{" + space + String.join(space + "," + space, fields) + space + "}" + space;
  }

  private static String value(Random r, RecordComponent c, int depth) {
    if (r.nextInt(12) == 0) {
      return odd(r);
    }
    Class<?> t = c.getType();
    if (t == String.class) {
      return switch (r.nextInt(8)) {
        case 0 -> "\"\"";
        case 1 -> "\"s-" + r.nextInt(1000) + "\\u00e9\"";
        case 2 -> "\"caf\u00e9 \\\"q\\\"\"";
        default -> "\"s " + r.nextInt(1000) + "~{}[],:\"";
      };
    } else if (t == Integer.class) {
      return switch (r.nextInt(10)) {
        case 0 -> "3000000000";
        case 1 -> "-0";
        case 2 -> "007";
        case 3 -> "1e3";
        case 4 -> "-" + Integer.MAX_VALUE;
        default -> Integer.toString(r.nextInt(2000) - 1000);
      };
    } else if (t == Long.class) {
      return switch (r.nextInt(8)) {
        case 0 -> "99999999999999999999";
        case 1 -> Long.toString(Long.MIN_VALUE);
        case 2 -> "999999999999999999";
        default -> Long.toString(r.nextLong() >> r.nextInt(64));
      };
    } else if (t == Boolean.class) {
      return Boolean.toString(r.nextBoolean());
    } else if (t == List.class) {
      var element = (Class<?>) ((ParameterizedType) c.getGenericType()).getActualTypeArguments()[0];
      List<String> items = new ArrayList<>();
      for (int n = r.nextInt(3); n > 0; n--) {
        items.add(
            element == String.class
                ? (r.nextInt(20) == 0 ? "null" : "\"q" + r.nextInt(9) + "\"")
                : depth < 1 ? object(r, element, depth + 1) : "{}");
      }
      return "[" + String.join(",", items) + "]";
    }
    return switch (r.nextInt(10)) { // a JsonNode
      case 0 -> "{\"a\":[1,2.5,\"x\",{\"b\":null}],\"c\":true}";
      case 1 -> "{\"a\":1,\"a\":2}";
      case 2 -> "1700000000000";
      case 3 -> "\"2030-01-01T00:00:00Z\"";
      case 4 -> "[]";
      case 5 ->
          "{\"k\": [1, -2, 3000000000, true, false, null, \"v\", {}, []], \"n\": {\"m\": null}}";
      case 6 -> "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]";
      case 7 -> "{\"\":1}";
      case 8 -> "[tru]";
      default -> "-0.5e3";
    };
  }

  /** A value of some other JSON type than the field's, or a null. */
  private static String odd(Random r) {
    return switch (r.nextInt(8)) {
      case 0 -> "null";
      case 1 -> "\"7\"";
      case 2 -> "7";
      case 3 -> "7.5";
      case 4 -> "true";
      case 5 -> "[\"a\"]";
      case 6 -> "{}";
      default -> "\"\"";
    };
  }
}
