package dev.hourglass.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code hourglass server} through the real command line. */
class ServerCommandTest {
  @TempDir Path dir;

  /** The timeout turns a regression (an open server that runs until stopped) into a failure. */
  @Test
  @Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void anOpenBindWithoutTokensExitsTwoNamingTheTokensFile() {
    assumeTrue(System.getenv("HOURGLASS_TOKENS") == null, "HOURGLASS_TOKENS is set");
    var err = new ByteArrayOutputStream();
    PrintStream oldErr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int exit;
    try {
      exit =
          Main.commandLine()
              .execute(
                  "server",
                  "--data-dir",
                  dir.resolve("d").toString(),
                  "--port",
                  "0",
                  "--bind",
                  "0.0.0.0");
    } finally {
      System.setErr(oldErr);
    }
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("refusing to start")
        .contains("--tokens-file")
        .contains("--allow-unauthenticated");
  }
}
