package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The matcher must fail when it should, or the conformance tests prove nothing. */
class OutputMatcherTest {
  private static final String SEED =
      "{\"type\": \"job_scheduled\", \"in_reply_to\": 1, \"job_id\": \".*\", \"next_run\": \".*\"}";

  @Test
  void findsExpectedLinesInOrderAmongOtherLines() {
    List<String> out =
        List.of(
            "{\"type\": \"init_ok\"}",
            "{\"type\": \"job_scheduled\", \"in_reply_to\": 1, \"job_id\": \"a\", \"next_run\": \"b\"}");
    assertThat(OutputMatcher.match(List.of(SEED), out)).containsExactly(1);
  }

  @Test
  void rejectsMissingExtraOrMistypedKeysAndWrongOrder() {
    assertThatThrownBy(
            () ->
                OutputMatcher.match(
                    List.of(SEED),
                    List.of(
                        "{\"type\": \"job_scheduled\", \"in_reply_to\": 1, \"job_id\": \"a\"}",
                        "{\"type\": \"job_scheduled\", \"in_reply_to\": \"1\", \"job_id\": \"a\", \"next_run\": \"b\"}",
                        "{\"type\": \"job_scheduled\", \"in_reply_to\": 1, \"job_id\": \"a\", \"next_run\": \"b\","
                            + " \"msg_id\": 2}")))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(
            () ->
                OutputMatcher.match(
                    List.of("{\"a\": 1}", "{\"b\": 2}"), List.of("{\"b\": 2}", "{\"a\": 1}")))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void formatPatternPinsSpacingAndKeyOrder() {
    assertThat(
            "{\"type\": \"job_scheduled\", \"in_reply_to\": 1, \"job_id\": \"x-1\","
                + " \"next_run\": \"2026-01-01T00:00:00Z\"}")
        .matches(OutputMatcher.formatPattern(SEED));
    assertThat("{\"type\":\"job_scheduled\",\"in_reply_to\":1,\"job_id\":\"x\",\"next_run\":\"y\"}")
        .doesNotMatch(OutputMatcher.formatPattern(SEED));
    assertThat(
            "{\"type\": \"job_scheduled\", \"job_id\": \"x\", \"in_reply_to\": 1,"
                + " \"next_run\": \"y\"}")
        .doesNotMatch(OutputMatcher.formatPattern(SEED));
  }
}
