package dev.hourglass.core.id;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class IdsTest {
  @Test
  void theAlphabetIsExactlyLettersDigitsAndSixMarks() {
    String allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:@~";
    for (char c = 0; c < 0x3000; c++) {
      String id = "a" + c;
      assertThat(Ids.problem("job_id", id) == null)
          .as("U+%04X", (int) c)
          .isEqualTo(allowed.indexOf(c) >= 0);
    }
  }

  @Test
  void messagesNameTheFieldTheCharacterAndTheRule() {
    assertThat(Ids.problem("job_id", "a/b"))
        .contains("job_id \"a/b\"")
        .contains("'/' at index 1")
        .contains(Ids.ALPHABET)
        .contains("1 to 200");
    assertThat(Ids.problem("queue", "a\nb"))
        .contains("U+000A (a control character)")
        .contains("\"a\\u000ab\"");
    assertThat(Ids.problem("task", "x".repeat(201))).contains("201 characters long");
    assertThat(Ids.problem("worker_id", null)).contains("worker_id is missing or empty");
    assertThat(Ids.problem("job_id", ".")).contains("URL path");
    assertThat(Ids.problem("job_id", "...")).isNull();
    assertThat(Ids.problem("schedule_id", "s".repeat(181), Ids.SCHEDULE_ID_BYTES_MAX))
        .contains("1 to 180");
  }

  @Test
  void generatedIdsAreValidIds() {
    long seed = new Random().nextLong();
    System.out.println("IdsTest seed=" + seed);
    var ids = new JobIds(() -> 1_700_000_000_000L, new Random(seed));
    for (int i = 0; i < 1_000; i++) {
      String id = ids.next();
      assertThat(Ids.problem("job_id", id)).as("seed=%d id=%s", seed, id).isNull();
    }
  }

  @Test
  void idempotencyKeysMayHoldAnyCharacterButControlsWithinTheByteBound() {
    assertThat(Ids.keyProblem("idempotency_key", "order 42/charge ?#é")).isNull();
    assertThat(Ids.keyProblem("idempotency_key", "a\u0000")).contains("U+0000");
    assertThat(Ids.keyProblem("idempotency_key", "é".repeat(101))).contains("202 UTF-8 bytes");
    assertThat(Ids.keyProblem("idempotency_key", "é".repeat(100))).isNull();
    assertThat(Ids.keyProblem("idempotency_key", "")).contains("empty");
  }
}
