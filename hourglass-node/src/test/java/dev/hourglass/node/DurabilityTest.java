package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.hourglass.core.command.Command.AssignJob;
import dev.hourglass.core.command.Command.SubmitJob;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.node.JsonValueReader.Value;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's state lives in the data directory's log, and only there. */
class DurabilityTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dir;

  private static Value value(String json) throws Exception {
    return new Value(MAPPER.readTree(json));
  }

  @Test
  void aRestartReadsTheLogOnDiskAndNothingElse() throws Exception {
    // Goal: prove that scheduler_crash lets go of the directory and scheduler_restart rebuilds
    // from the files, by changing the log behind the crashed node's back.
    try (Node node =
        new Node(Hosts.opener(dir, () -> 1_000L), () -> 1_000L, () -> "unused", MAPPER)) {
      node.start();
      node.handle(value("{\"type\":\"assign_job\",\"job_id\":\"job1\",\"worker_id\":\"w1\"}"));
      node.handle(value("{\"type\":\"scheduler_crash\"}"));
      try (DurableEngine other =
          DurableEngine.open(dir, Node.ENGINE_CONFIG, new FsyncPolicy.Always())) {
        other.apply(new SubmitJob(2_000, JobSpec.of("job2", "assigned", null)));
        other.apply(new AssignJob(2_000, "job2", "w9", 0, Long.MAX_VALUE));
      }
      String recovered = PythonJson.dumps(node.handle(value("{\"type\":\"scheduler_restart\"}")));
      assertThat(recovered)
          .isEqualTo(
              "{\"type\": \"recovery_complete\", \"job_assignments\":"
                  + " {\"job1\": \"w1\", \"job2\": \"w9\"}, \"pending_notifications\": [\"w1\", \"w9\"]}");
    }
  }

  @Test
  void aNewNodeOnTheSameDirectoryHasEverythingTheLastOneAnswered() {
    TestNode first = new TestNode(dir).at("2026-03-10T10:00:00Z");
    first.run(
        "{\"type\":\"assign_job\",\"job_id\":\"job1\",\"worker_id\":\"w1\"}",
        "{\"type\":\"assign_job\",\"job_id\":\"job2\",\"worker_id\":\"w2\"}",
        "{\"type\":\"ack_assignment\",\"job_id\":\"job2\",\"worker_id\":\"w2\"}",
        "{\"type\":\"schedule_job\",\"msg_id\":1,\"task\":\"t\",\"delay_ms\":1000}",
        "{\"type\":\"execute_job\",\"job_id\":\"flaky\",\"force_fail\":true}");
    List<String> out =
        new TestNode(dir)
            .at("2026-03-10T10:00:00Z")
            .run(
                "{\"type\":\"scheduler_restart\"}",
                "{\"type\":\"assign_job\",\"job_id\":\"job1\",\"worker_id\":\"w3\"}",
                "{\"type\":\"execute_jobs\",\"msg_id\":2,\"current_time\":\"2026-03-10T10:00:05Z\"}",
                "{\"type\":\"execute_job\",\"job_id\":\"flaky\",\"force_fail\":true}");
    assertThat(out)
        .containsExactly(
            "{\"type\": \"recovery_complete\", \"job_assignments\": {\"job1\": \"w1\", \"job2\":"
                + " \"w2\"}, \"pending_notifications\": [\"w1\"]}",
            "{\"type\": \"assignment_rejected\", \"reason\": \"Job already assigned in generation 1\","
                + " \"existing_assignment\": {\"job_id\": \"job1\", \"worker\": \"w1\"}}",
            "{\"type\": \"jobs_executed\", \"in_reply_to\": 2, \"count\": 2, \"jobs\": [\"id-1\","
                + " \"flaky\"]}",
            "{\"type\": \"error\", \"code\": 22, \"text\": \"job flaky cannot run: it is SUCCEEDED\"}");
  }

  @Test
  void aDirectoryInUseByAnotherNodeIsRefusedAtStart() throws Exception {
    try (DurableEngine holder =
        DurableEngine.open(dir, Node.ENGINE_CONFIG, new FsyncPolicy.Always())) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit =
          NodeMain.run(
              new String[] {"--data-dir", dir.toString()},
              new ByteArrayInputStream(
                  "{\"type\":\"init\",\"msg_id\":1}\n".getBytes(StandardCharsets.UTF_8)),
              new PrintStream(out, true),
              new PrintStream(err, true));
      assertThat(exit).isEqualTo(1);
      assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
      assertThat(err.toString(StandardCharsets.UTF_8)).contains(dir.toString());
      assertThat(holder.queries().jobsHeld()).isZero();
    }
  }

  @Test
  void withoutADataDirTheLogLivesInATemporaryDirectoryRemovedAtExit() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        NodeMain.run(
            new String[0],
            new ByteArrayInputStream(
                "{\"type\":\"assign_job\",\"job_id\":\"j\",\"worker_id\":\"w\"}\n"
                    .getBytes(StandardCharsets.UTF_8)),
            new PrintStream(out, true),
            new PrintStream(err, true));
    assertThat(exit).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8))
        .startsWith("{\"type\": \"assignment_accepted\"");
    Matcher m = Pattern.compile("data-dir=(\\S+)").matcher(err.toString(StandardCharsets.UTF_8));
    assertThat(m.find()).as("stderr names the data directory: %s", err).isTrue();
    assertThat(Files.exists(Path.of(m.group(1)))).isFalse();
  }

  @Test
  void badArgumentsAreAUsageError() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit =
        NodeMain.run(
            new String[] {"--data-dri", "x"},
            new ByteArrayInputStream(new byte[0]),
            new PrintStream(new ByteArrayOutputStream(), true),
            new PrintStream(err, true));
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .contains("--data-dri")
        .contains(NodeMain.USAGE);
  }
}
