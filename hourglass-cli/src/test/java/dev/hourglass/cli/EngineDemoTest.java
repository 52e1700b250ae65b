package dev.hourglass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.cli.demo.EngineDemo;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class EngineDemoTest {

  @Test
  void theDemoShowsReclaimFencingRetriesAndTheDeadLetterQueue() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int exit = new EngineDemo(new PrintStream(bytes, true, StandardCharsets.UTF_8), 42).run();
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(exit).isZero();
    assertThat(out)
        .contains("w2 crashes (SIGKILL)")
        .contains("lease expired without heartbeat from w2")
        .contains("REFUSED, STALE_GENERATION")
        .contains("is DEAD (dead-letter queue)")
        .contains("returned the same job")
        .contains("cron schedule cleanup fired")
        .contains("report[")
        .doesNotContain("this is a bug");
    assertThat(out).containsPattern("sync-crm\\[\\w+\\] +sync-crm +SUCCEEDED +3");
  }
}
