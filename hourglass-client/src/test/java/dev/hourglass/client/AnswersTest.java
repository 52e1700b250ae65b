package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.client.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The per-job answers read without a tree give what the tree readers give, and every shape but the
 * plain one goes back to the tree reader. Randomized with a printed seed; replay one with {@code
 * -Danswers.seed=N}.
 */
class AnswersTest {
  private static final int CASES = 3_000;

  @Test
  void readingWithoutATreeGivesWhatTheTreeGives() {
    long seed = Long.getLong("answers.seed", System.nanoTime());
    System.out.println("answers.seed=" + seed);
    var random = new Random(seed);
    int fast = 0;
    for (int i = 0; i < CASES; i++) {
      int kind = random.nextInt(3);
      String json =
          switch (kind) {
            case 0 -> object(random, AnswersTest::submittedField);
            case 1 -> list(random, "assignments", AnswersTest::assignmentField);
            default -> list(random, "results", AnswersTest::resultField);
          };
      Object viaTree;
      try {
        var tree = Json.parse(json.getBytes(StandardCharsets.UTF_8), "the server's answer");
        viaTree =
            switch (kind) {
              case 0 -> Submitted.of(tree);
              case 1 -> treeList(tree, "assignments", Assignment::of);
              default -> treeList(tree, "results", CompletionResult::of);
            };
      } catch (IllegalArgumentException e) {
        viaTree = "refused"; // an unknown state: the fast reader must refuse it alike or step back
      }
      byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
      Object direct;
      try {
        direct =
            switch (kind) {
              case 0 -> Answers.submitted(bytes);
              case 1 -> Answers.assignments(bytes);
              default -> Answers.completionResults(bytes);
            };
      } catch (IllegalArgumentException e) {
        direct = "refused";
      }
      if (direct != null) {
        fast++;
        assertThat(direct).as("seed=%d case=%d json=%s", seed, i, json).isEqualTo(viaTree);
      }
    }
    assertThat(fast).as("answers read without a tree, seed=%d", seed).isGreaterThan(CASES / 4);
  }

  @Test
  void plainAnswersAreReadWithoutATreeAndOthersAreLeftToIt() {
    var a =
        Answers.assignments(
            bytes(
                "{\"assignments\":[{\"job_id\":\"j\",\"generation\":2,\"task\":\"t\",\"queue\":\"q\","
                    + "\"payload\":{\"a\":[1,2.5e3,\"x\"]},\"lease_expires_at\":1700000000123,"
                    + "\"redelivered\":false,\"attempt\":1,\"future_field\":{\"x\":1}}]}"));
    assertThat(a).hasSize(1);
    assertThat(a.get(0).payload()).isEqualTo("{\"a\":[1,2500.0,\"x\"]}");
    assertThat(Answers.submitted(bytes("{\"job_id\":\"j\",\"state\":\"READY\"}")))
        .isEqualTo(new Submitted("j", JobState.READY, false));
    assertThat(Answers.completionResults(bytes("{\"results\":[]}"))).isEmpty();
    assertThat(Answers.submitted(bytes(""))).as("empty body").isNull();
    assertThat(Answers.submitted(bytes("{\"job_id\":1,\"state\":\"READY\"}"))).isNull();
    assertThat(Answers.assignments(bytes("{\"assignments\":[{\"generation\":\"2\"}]}"))).isNull();
    assertThat(Answers.assignments(bytes("{\"assignments\":{\"a\":{}}}"))).isNull();
    assertThat(Answers.completionResults(bytes("{\"results\":[{\"job_id\":\"j\"}"))).isNull();
    assertThatThrownBy(() -> Answers.submitted(bytes("{\"job_id\":\"j\",\"state\":\"NEW\"}")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown job state");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static <T> List<T> treeList(
      com.fasterxml.jackson.databind.JsonNode tree,
      String field,
      Function<com.fasterxml.jackson.databind.JsonNode, T> of) {
    List<T> out = new ArrayList<>();
    for (var n : tree.path(field)) {
      out.add(of.apply(n));
    }
    return List.copyOf(out);
  }

  /** {"field": [objects...]}, sometimes with an odd value or an extra field. */
  private static String list(Random r, String field, Function<Random, String> fieldOf) {
    var b = new StringBuilder("{");
    if (r.nextInt(8) == 0) {
      b.append("\"other\":[1,{\"x\":null}],");
    }
    b.append('"').append(field).append("\":");
    switch (r.nextInt(12)) {
      case 0 -> b.append("null");
      case 1 -> b.append(object(r, fieldOf));
      default -> {
        b.append('[');
        for (int n = r.nextInt(4); n > 0; n--) {
          b.append(r.nextInt(30) == 0 ? "\"x\"" : object(r, fieldOf));
          b.append(n > 1 ? "," : "");
        }
        b.append(']');
      }
    }
    return b.append('}').toString();
  }

  private static String object(Random r, Function<Random, String> fieldOf) {
    List<String> fields = new ArrayList<>();
    for (int n = r.nextInt(12); n > 0; n--) {
      fields.add(fieldOf.apply(r));
    }
    return "{" + String.join(",", fields) + "}";
  }

  private static String submittedField(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> "\"job_id\":" + value(r, "text");
      case 1 -> "\"state\":" + value(r, "state");
      case 2 -> "\"deduplicated\":" + value(r, "boolean");
      default -> "\"extra\":" + value(r, "any");
    };
  }

  private static String assignmentField(Random r) {
    return switch (r.nextInt(11)) {
      case 0 -> "\"job_id\":" + value(r, "text");
      case 1 -> "\"generation\":" + value(r, "int");
      case 2 -> "\"task\":" + value(r, "text");
      case 3 -> "\"queue\":" + value(r, "text");
      case 4 -> "\"payload\":" + value(r, "any");
      case 5 -> "\"lease_expires_at\":" + value(r, "long");
      case 6 -> "\"redelivered\":" + value(r, "boolean");
      case 7 -> "\"attempt\":" + value(r, "int");
      case 8 -> "\"traceparent\":" + value(r, "text");
      case 9 -> "\"tracestate\":" + value(r, "text");
      default -> "\"extra\":" + value(r, "any");
    };
  }

  private static String resultField(Random r) {
    return switch (r.nextInt(5)) {
      case 0 -> "\"job_id\":" + value(r, "text");
      case 1 -> "\"state\":" + value(r, "state");
      case 2 -> "\"code\":" + value(r, "text");
      case 3 -> "\"detail\":" + value(r, "text");
      default -> "\"extra\":" + value(r, "any");
    };
  }

  /** Mostly a value of the expected kind; sometimes null or one of another kind. */
  private static String value(Random r, String kind) {
    int odd = r.nextInt(10);
    if (odd == 0) {
      return "null";
    }
    if (odd == 1) {
      kind = "any";
    }
    return switch (kind) {
      case "text" -> "\"" + (r.nextBoolean() ? "j-" + r.nextInt(100) : "t\\u00e9\\\"x") + "\"";
      case "state" -> r.nextInt(6) == 0 ? "\"NEW\"" : "\"READY\"";
      case "boolean" -> Boolean.toString(r.nextBoolean());
      case "int" -> Integer.toString(r.nextInt());
      case "long" -> Long.toString(r.nextLong());
      default ->
          switch (r.nextInt(8)) {
            case 0 -> "{\"a\":[1,-0.5,1e3,true,null,\"s\"]}";
            case 1 -> "12345678901234567890123";
            case 2 -> "2.5";
            case 3 -> "true";
            case 4 -> "\"7\"";
            case 5 -> Long.toString(r.nextLong());
            case 6 -> "[]";
            default -> "\"s\"";
          };
    };
  }
}
