package dev.hourglass.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Goal: the real demo runs end to end (embedded server, worker processes, a SIGKILL) within its
 * time limit and its summary shows every promised outcome.
 */
@Tag("slow")
class LiveDemoTest {
  @Test
  void theRealDemoEndsByItselfWithEveryPromisedOutcome() throws Exception {
    var bytes = new ByteArrayOutputStream();
    var out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    long t0 = System.nanoTime();
    int exit = new LiveDemo(new LiveDemo.Options(out, false, false)).run();
    double seconds = (System.nanoTime() - t0) / 1e9;
    String text = bytes.toString(StandardCharsets.UTF_8);
    System.out.println(text);
    assertThat(exit).as(text).isZero();
    assertThat(seconds).isLessThan(30);
    assertThat(text)
        .containsPattern("ok +all \\d+ jobs terminal: \\d+ SUCCEEDED, 1 DEAD")
        .contains("ok      flaky: SUCCEEDED on attempt 3 (FAILED, FAILED, SUCCEEDED)")
        .contains("ok      dead-letter queue: 1 DEAD job(s): doomed after 3 attempts")
        .containsPattern(
            "ok +crash: w\\d was SIGKILLed while running encode-\\d.* re-ran it in"
                + " generation 2 \\(1 successful run\\)")
        .contains("ok      DAG:")
        .contains("demo OK")
        .doesNotContain("\033["); // plain lines when stdout is not a terminal
  }
}
