package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The per-job answers written without Jackson are the very bytes Jackson writes for the same
 * record, and any text Jackson would escape sends the answer back to Jackson. Randomized with a
 * printed seed; replay one with {@code -Dasciijson.seed=N}.
 */
class AsciiJsonTest {
  private static final int CASES = 2_000;

  @Test
  void perJobAnswersAreTheBytesJacksonWrites() throws Exception {
    long seed = Long.getLong("asciijson.seed", System.nanoTime());
    System.out.println("asciijson.seed=" + seed);
    var random = new Random(seed);
    int fast = 0;
    for (int i = 0; i < CASES; i++) {
      Object answer =
          switch (random.nextInt(3)) {
            case 0 -> submitted(random);
            case 1 -> assignments(random);
            default -> results(random);
          };
      byte[] jackson = Http.MAPPER.writeValueAsBytes(answer);
      byte[] ours = AsciiJson.of(answer);
      if (ours != null) {
        fast++;
        assertThat(new String(ours, StandardCharsets.UTF_8))
            .as("seed=%d case=%d", seed, i)
            .isEqualTo(new String(jackson, StandardCharsets.UTF_8));
        assertThat(ours).as("seed=%d case=%d", seed, i).isEqualTo(jackson);
      } else {
        assertThat(new String(jackson, StandardCharsets.UTF_8))
            .as(
                "seed=%d case=%d: given back to Jackson, so it must hold an escape, DEL or non-ASCII")
            .matches(s -> s.contains("\\") || s.chars().anyMatch(c -> c >= 0x7f));
      }
    }
    assertThat(fast).as("answers written without Jackson, seed=%d", seed).isGreaterThan(CASES / 4);
  }

  @Test
  void anAnswerWithoutItsFirstFieldIsLeftToJackson() throws Exception {
    var noId = new Wire.Submitted(null, "READY", null);
    assertThat(AsciiJson.of(noId)).isNull();
    assertThat(new String(Http.MAPPER.writeValueAsBytes(noId), StandardCharsets.UTF_8))
        .isEqualTo("{\"state\":\"READY\"}");
    assertThat(
            AsciiJson.of(
                new Wire.CompletionResults(
                    List.of(new Wire.CompletionResult(null, "SUCCEEDED", null, null)))))
        .isNull();
  }

  @Test
  void answersOfPlainTextAreWrittenWithoutJackson() {
    var assignment =
        new Wire.Assignment(
            "job-1",
            3,
            "email",
            "default",
            "{\"to\":\"a@b\"}",
            1_700_000_000_123L,
            false,
            1,
            null,
            null);
    assertThat(AsciiJson.of(new Wire.Assignments(List.of(assignment)))).isNotNull();
    assertThat(AsciiJson.of(new Wire.Submitted("job-1", "READY", null))).isNotNull();
    assertThat(
            AsciiJson.of(
                new Wire.CompletionResults(
                    List.of(new Wire.CompletionResult("job-1", "SUCCEEDED", null, null)))))
        .isNotNull();
    assertThat(AsciiJson.of(new Wire.Submitted("job-\u00e9", "READY", null))).isNull();
    assertThat(AsciiJson.of(java.util.Map.of("status", "ok"))).as("another type").isNull();
  }

  private static Wire.Submitted submitted(Random r) {
    return new Wire.Submitted(
        text(r), text(r), r.nextInt(3) == 0 ? null : r.nextBoolean() ? Boolean.TRUE : false);
  }

  private static Wire.Assignments assignments(Random r) {
    List<Wire.Assignment> list = new ArrayList<>();
    for (int n = r.nextInt(4); n > 0; n--) {
      list.add(
          new Wire.Assignment(
              text(r),
              r.nextInt(),
              text(r),
              orNull(r, text(r)),
              orNull(r, payload(r)),
              number(r),
              r.nextBoolean(),
              r.nextInt(),
              orNull(r, text(r)),
              orNull(r, text(r))));
    }
    return new Wire.Assignments(list);
  }

  private static Wire.CompletionResults results(Random r) {
    List<Wire.CompletionResult> list = new ArrayList<>();
    for (int n = r.nextInt(4); n > 0; n--) {
      list.add(
          new Wire.CompletionResult(
              text(r), orNull(r, text(r)), orNull(r, text(r)), orNull(r, text(r))));
    }
    return new Wire.CompletionResults(list);
  }

  private static long number(Random r) {
    return switch (r.nextInt(5)) {
      case 0 -> Long.MIN_VALUE;
      case 1 -> Long.MAX_VALUE;
      case 2 -> 0;
      case 3 -> r.nextInt(100) - 50;
      default -> r.nextLong();
    };
  }

  /** Mostly printable ASCII; sometimes a quote, a backslash, a control or a non-ASCII char. */
  private static String text(Random r) {
    var b = new StringBuilder();
    for (int n = r.nextInt(12); n > 0; n--) {
      b.append(
          switch (r.nextInt(40)) {
            case 0 -> '"';
            case 1 -> '\\';
            case 2 -> (char) r.nextInt(0x20);
            case 3 -> (char) (0x7f + r.nextInt(0x200));
            default -> (char) (0x20 + r.nextInt(0x5f));
          });
    }
    return b.toString();
  }

  /** JSON text as a stored payload holds it: sometimes with escapes or non-ASCII inside. */
  private static String payload(Random r) {
    return switch (r.nextInt(4)) {
      case 0 -> "{}";
      case 1 -> "[1,2.5,true,null]";
      case 2 -> "{\"k\":\"" + (r.nextBoolean() ? "v" : "\\u00e9\u00e9") + "\"}";
      default -> Long.toString(r.nextLong());
    };
  }

  private static <T> T orNull(Random r, T value) {
    return r.nextInt(4) == 0 ? null : value;
  }
}
