package dev.hourglass.runtime.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.view.JobState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the example of docs/EMBEDDING.md compiling and working: the code between the markers below
 * is the doc's example, and a test checks that the doc still shows exactly that code.
 */
class EmbeddingExampleTest {
  private static final String BEGIN = "// BEGIN EMBEDDING.md example";
  private static final String END = "// END EMBEDDING.md example";

  @TempDir Path dir;

  /** The example; {@code sendEmail} stands for the application's own code. */
  static JobState example(Path dataDir, Consumer<String> sendEmail) throws Exception {
    // spotless:off (the example reads as docs/EMBEDDING.md shows it)
    // BEGIN EMBEDDING.md example
    try (var hourglass = EmbeddedHourglass.open(dataDir)) {
      String id = hourglass.submit(
          JobSpec.of(null, "send-email", "{\"to\":\"a@example.com\"}").withMaxAttempts(5));

      // A worker thread's loop body: lease, run, report with the lease's generation.
      for (Assignment a : hourglass.lease("mailer-1", 8, List.of(), List.of("send-email"),
          Duration.ofSeconds(30), Duration.ofSeconds(10))) {
        try {
          sendEmail.accept(a.payload());
          hourglass.complete(a, "{\"sent\":true}");
        } catch (CommandRefusedException e) {
          // STALE_GENERATION, NOT_LEASE_HOLDER, CANCELLED, TIMED_OUT: this attempt is over.
          if (e.code() == ErrorCode.INVALID_ARGUMENT) {
            throw e;
          }
        } catch (RuntimeException e) {
          hourglass.fail(a, e.toString(), true); // retried with backoff, then dead-lettered
        }
      }
      return hourglass.job(id).orElseThrow().state();
    }
    // END EMBEDDING.md example
    // spotless:on
  }

  @Test
  void theExampleRunsAJobToSuccess() throws Exception {
    List<String> sent = new ArrayList<>();
    assertThat(example(dir, sent::add)).isEqualTo(JobState.SUCCEEDED);
    assertThat(sent).containsExactly("{\"to\":\"a@example.com\"}");
  }

  @Test
  void theDocShowsTheExampleAsTested() throws Exception {
    String source =
        Files.readString(
            Path.of("src/test/java/dev/hourglass/runtime/embedded/EmbeddingExampleTest.java"));
    String doc = Files.readString(Path.of("../docs/EMBEDDING.md"));
    // The markers' last occurrences are the comments in example(), not the constants above.
    String code =
        source.substring(source.lastIndexOf(BEGIN) + BEGIN.length(), source.lastIndexOf(END));
    assertThat(normalized(doc))
        .as("docs/EMBEDDING.md shows the tested example")
        .contains(normalized(code));
  }

  /** Each line stripped, blank lines dropped: indentation differs between the doc and here. */
  private static String normalized(String text) {
    return String.join("\n", text.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
  }
}
