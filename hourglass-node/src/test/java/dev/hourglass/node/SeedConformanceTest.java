package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The four sample tests of the message protocol (docs/PROTOCOL.md), run as a harness runs them: a
 * fresh node process per test, the sample's input verbatim on stdin (closed at its end), and its
 * expected lines looked for in order among the output lines.
 */
class SeedConformanceTest {
  private static final Pattern UUID_V7 =
      Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");

  @TempDir Path dir;

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "000-scheduler-crash-recovery",
        "000-leader-election-after-crash",
        "002-schedule-one-time-job",
        "002-schedule-recurring-job-with-cron"
      })
  void seedSampleTestPasses(String seed) throws Exception {
    String input = resource(seed + ".input");
    List<String> expected = resource(seed + ".expected").lines().toList();
    long started = System.nanoTime();
    List<String> output;
    int exit;
    try (NodeProcess node = NodeProcess.start(dir.resolve("stderr.txt"))) {
      node.send(input);
      output = node.finish();
      exit = node.exitCode();
    }
    long elapsedMillis = (System.nanoTime() - started) / 1_000_000;

    List<Integer> matched = OutputMatcher.match(expected, output);
    for (int i = 0; i < expected.size(); i++) {
      String actual = output.get(matched.get(i));
      assertThat(actual)
          .as("formatting of the line matching %s", expected.get(i))
          .matches(OutputMatcher.formatPattern(expected.get(i)));
      if (!expected.get(i).contains(".*")) {
        assertThat(actual).isEqualTo(expected.get(i));
      }
      if (actual.contains("\"job_id\"")) {
        assertThat(TestNode.MAPPER.readTree(actual).get("job_id").asText()).matches(UUID_V7);
      }
    }
    assertThat(exit).isZero();
    assertThat(elapsedMillis).as("start-up plus test, ms").isLessThan(NodeProcess.TIMEOUT_MILLIS);
    assertThat(dir.resolve("stderr.txt")).content().doesNotContain("Exception");
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = SeedConformanceTest.class.getResourceAsStream("/seeds/" + name)) {
      if (in == null) {
        throw new IOException("test resource /seeds/" + name + " is missing");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }
}
