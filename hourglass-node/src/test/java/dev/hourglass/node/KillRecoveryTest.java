package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node killed with SIGKILL and started again on the same data directory has every assignment it
 * acknowledged: replies are printed only after the log record is forced.
 */
class KillRecoveryTest {
  @TempDir Path dir;

  @Test
  void everyAcknowledgedAssignmentSurvivesSigkill() throws Exception {
    Path data = dir.resolve("data");
    try (NodeProcess node =
        NodeProcess.start(dir.resolve("stderr-1.txt"), "--data-dir", data.toString())) {
      node.send("{\"type\":\"assign_job\",\"job_id\":\"job1\",\"worker_id\":\"w1\"}\n");
      assertThat(node.readLine()).contains("assignment_accepted");
      node.send("{\"type\":\"assign_job\",\"job_id\":\"job2\",\"worker_id\":\"w2\"}\n");
      assertThat(node.readLine()).contains("assignment_accepted");
      node.send(
          "{\"type\":\"assign_job\",\"job_id\":\"job1\",\"worker_id\":\"w3\","
              + "\"generation\":2}\n");
      assertThat(node.readLine()).contains("\"generation\": 2");
      node.send("{\"type\":\"ack_assignment\",\"job_id\":\"job2\",\"worker_id\":\"w2\"}\n");
      assertThat(node.readLine()).contains("assignment_acknowledged");
      node.kill();
    }
    try (NodeProcess node =
        NodeProcess.start(dir.resolve("stderr-2.txt"), "--data-dir", data.toString())) {
      node.send(
          "{\"type\":\"assign_job\",\"job_id\":\"job2\",\"worker_id\":\"w4\"}\n"
              + "{\"type\":\"scheduler_restart\"}\n");
      assertThat(node.finish())
          .containsExactly(
              "{\"type\": \"assignment_rejected\", \"reason\": \"Job already assigned in generation"
                  + " 1\", \"existing_assignment\": {\"job_id\": \"job2\", \"worker\": \"w2\"}}",
              "{\"type\": \"recovery_complete\", \"job_assignments\": {\"job1\": \"w3\", \"job2\":"
                  + " \"w2\"}, \"pending_notifications\": [\"w3\"]}");
      assertThat(node.exitCode()).isZero();
    }
  }
}
