package dev.hourglass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import dev.hourglass.wal.FsyncPolicy;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client subcommands against a real embedded server. */
class CliCommandsTest {
  @TempDir Path dir;
  HourglassServer server;
  String url;

  record Run(int exit, String out, String err) {}

  @BeforeEach
  void start() throws Exception {
    server = HourglassServer.start(ServerOptions.of(dir.resolve("data")).withPort(0)
        .withFsync(new FsyncPolicy.NeverUnsafeForTests()));
    url = server.uri().toString();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private Run run(String... args) {
    var out = new ByteArrayOutputStream();
    var err = new ByteArrayOutputStream();
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      var cl = Main.commandLine();
      cl.setErr(new java.io.PrintWriter(System.err, true));
      String[] all = java.util.Arrays.copyOf(args, args.length + 2);
      all[args.length] = "--server"; // last, so that the innermost subcommand gets it
      all[args.length + 1] = url;
      int exit = cl.execute(all);
      return new Run(exit, out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void submitStatusJobsCancelAndErrors() throws Exception {
    Run s = run("submit", "sleep", "--payload", "{\"ms\":5}", "--job-id", "a", "--priority", "3",
        "--max-attempts", "4", "--backoff", "250ms", "--idempotency-key", "k1");
    assertThat(s.exit()).as(s.err()).isZero();
    assertThat(s.out()).isEqualTo("a READY" + System.lineSeparator());
    assertThat(run("submit", "sleep", "--idempotency-key", "k1").out()).contains("deduplicated");

    Path payload = Files.writeString(dir.resolve("p.json"), "{\"to\":\"x@y.z\"}");
    assertThat(run("submit", "echo", "--payload-file", payload.toString(), "--job-id", "b",
        "--depends-on", "a", "--delay", "5m").out()).contains("b PENDING");
    assertThat(run("submit", "echo", "--cron", "0 3 * * *", "--schedule-id", "nightly")
        .out()).contains("schedule nightly created");

    Run status = run("status", "b");
    assertThat(status.out()).contains("state      PENDING").contains("depends on a")
        .contains("{\"to\":\"x@y.z\"}");
    Run json = run("status", "b", "--json");
    assertThat(json.out()).contains("\"job_id\" : \"b\"").contains("\"to\" : \"x@y.z\"");

    assertThat(run("jobs").out()).contains("JOB").contains("a ").contains("b ");
    assertThat(run("jobs", "--state", "PENDING").out()).contains("b ").doesNotContain("a  ");
    assertThat(run("jobs", "--json", "--limit", "1").out()).contains("\"next_cursor\"");

    assertThat(run("cancel", "a", "--reason", "test").out()).contains("a CANCELLED");
    assertThat(run("status", "b").out()).contains("CANCELLED");

    Run missing = run("status", "nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("no job nope exists").contains("HTTP 404 UNKNOWN_JOB");
    Run bad = run("submit", "t", "--payload", "{oops");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("not valid JSON");
  }

  @Test
  void workersAndTheDeadLetterQueue() {
    try (var client = dev.hourglass.client.HourglassClient.builder(url).build()) {
      run("submit", "t", "--job-id", "d", "--max-attempts", "1");
      var a = client.lease("w1", 1, java.time.Duration.ZERO, java.util.List.of(),
          java.time.Duration.ZERO).get(0);
      client.fail(a.jobId(), "w1", a.generation(), "boom", true);
    }
    assertThat(run("workers").out()).contains("WORKER").contains("w1").contains("yes");
    assertThat(run("dlq").out()).contains("d ").contains("boom");
    assertThat(run("dlq", "list", "--json").out()).contains("\"job_id\" : \"d\"");
    assertThat(run("dlq", "retry", "d").out()).contains("d READY");
    assertThat(run("dlq").out()).doesNotContain("boom");
  }
}
