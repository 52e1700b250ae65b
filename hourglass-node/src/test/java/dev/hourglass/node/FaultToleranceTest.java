package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seeds 000/001: assignments with generations, crash and recovery from the log, elections. */
class FaultToleranceTest {
  static final String INIT =
      "{\"src\":\"client\",\"dest\":\"scheduler\",\"body\":{\"type\":\"init\","
          + "\"msg_id\":1,\"replicas\":[\"s1\",\"s2\",\"s3\"]}}";

  @TempDir Path dir;

  private static String assign(String job, String worker) {
    return "{\"type\":\"assign_job\",\"job_id\":\"" + job + "\",\"worker_id\":\"" + worker + "\"}";
  }

  private static String assign(String job, String worker, int generation) {
    return "{\"type\":\"assign_job\",\"job_id\":\""
        + job
        + "\",\"worker_id\":\""
        + worker
        + "\",\"generation\":"
        + generation
        + "}";
  }

  private static String ack(String job, String worker) {
    return "{\"type\":\"ack_assignment\",\"job_id\":\""
        + job
        + "\",\"worker_id\":\""
        + worker
        + "\"}";
  }

  private static final String CRASH = "{\"type\":\"scheduler_crash\"}";
  private static final String RESTART = "{\"type\":\"scheduler_restart\"}";

  @Test
  void initWithMsgIdIsAnsweredAndInitWithoutIsSilent() {
    List<String> out = new TestNode(dir).run(INIT, "{\"type\":\"init\",\"replicas\":[\"a\"]}");
    assertThat(out).containsExactly("{\"type\": \"init_ok\", \"in_reply_to\": 1}");
  }

  @Test
  void acceptedAssignmentIsAcknowledgedWithJobWorkerAndGeneration() {
    List<String> out = new TestNode(dir).run(assign("job1", "w1"));
    assertThat(out)
        .containsExactly(
            "{\"type\": \"assignment_accepted\", \"job_id\": \"job1\","
                + " \"worker_id\": \"w1\", \"generation\": 1}");
  }

  @Test
  void duplicateInTheSameGenerationIsRefusedExactlyAsTheSeedShows() {
    List<String> out =
        new TestNode(dir)
            .run(assign("job1", "w1", 1), assign("job1", "w2", 1), assign("job1", "w2"));
    String refusal =
        "{\"type\": \"assignment_rejected\", \"reason\": \"Job already assigned in"
            + " generation 1\", \"existing_assignment\": {\"job_id\": \"job1\", \"worker\": \"w1\"}}";
    assertThat(out)
        .containsExactly(
            "{\"type\": \"assignment_accepted\", \"job_id\": \"job1\", \"worker_id\": \"w1\","
                + " \"generation\": 1}",
            refusal,
            refusal);
  }

  @Test
  void refusalCarriesInReplyToRightAfterType() {
    List<String> out =
        new TestNode(dir)
            .run(
                assign("job1", "w1"),
                "{\"type\":\"assign_job\",\"msg_id\":7,\"job_id\":\"job1\",\"worker_id\":\"w2\"}");
    assertThat(out.get(1))
        .startsWith("{\"type\": \"assignment_rejected\", \"in_reply_to\": 7," + " \"reason\": ");
  }

  @Test
  void higherGenerationSupersedesAndAnOlderOneIsStale() {
    TestNode node = new TestNode(dir);
    List<JsonNode> out =
        node.runJson(
            assign("job1", "w1"), assign("job1", "w2", 2), assign("job1", "w3", 1), CRASH, RESTART);
    assertThat(out.get(1).toString())
        .isEqualTo(
            "{\"type\":\"assignment_accepted\","
                + "\"job_id\":\"job1\",\"worker_id\":\"w2\",\"generation\":2}");
    assertThat(out.get(2).get("type").asText()).isEqualTo("assignment_rejected");
    assertThat(out.get(2).get("reason").asText())
        .contains("generation 1 of job job1 is not newer than its current generation 2");
    assertThat(out.get(2).get("existing_assignment").toString())
        .isEqualTo("{\"job_id\":\"job1\",\"worker\":\"w2\"}");
    assertThat(out.get(4).toString())
        .isEqualTo(
            "{\"type\":\"recovery_complete\","
                + "\"job_assignments\":{\"job1\":\"w2\"},\"pending_notifications\":[\"w2\"]}");
  }

  @Test
  void severalJobsAndWorkersComeBackAfterCrashAndRestart() {
    List<String> out =
        new TestNode(dir)
            .run(
                INIT,
                assign("job1", "w1"),
                assign("job2", "w2"),
                assign("job3", "w1"),
                assign("job4", "w3"),
                ack("job1", "w1"),
                ack("job4", "w3"),
                CRASH,
                RESTART);
    assertThat(out.get(out.size() - 1))
        .isEqualTo(
            "{\"type\": \"recovery_complete\","
                + " \"job_assignments\": {\"job1\": \"w1\", \"job2\": \"w2\", \"job3\": \"w1\","
                + " \"job4\": \"w3\"}, \"pending_notifications\": [\"w2\", \"w1\"]}");
  }

  @Test
  void restartingTwiceInARowRecoversTheSameState() {
    List<String> out =
        new TestNode(dir)
            .run(
                assign("job1", "w1"),
                assign("job2", "w2"),
                ack("job2", "w2"),
                CRASH,
                RESTART,
                CRASH,
                RESTART,
                RESTART);
    String recovered =
        "{\"type\": \"recovery_complete\", \"job_assignments\": {\"job1\": \"w1\","
            + " \"job2\": \"w2\"}, \"pending_notifications\": [\"w1\"]}";
    String crashed = "{\"type\": \"scheduler_crashed\"}";
    assertThat(out.subList(3, out.size()))
        .containsExactly(crashed, recovered, crashed, recovered, recovered);
  }

  @Test
  void assignmentsAfterARestartStillSeeTheRecoveredGeneration() {
    List<String> out =
        new TestNode(dir)
            .run(
                assign("job1", "w1"),
                CRASH,
                RESTART,
                assign("job1", "w2"),
                assign("job1", "w2", 2));
    assertThat(out.get(3)).contains("Job already assigned in generation 1");
    assertThat(out.get(4)).contains("\"worker_id\": \"w2\", \"generation\": 2");
  }

  @Test
  void messagesBetweenCrashAndRestartGetError11AndChangeNothing() {
    List<JsonNode> out =
        new TestNode(dir)
            .runJson(
                INIT,
                assign("job1", "w1"),
                CRASH,
                assign("job2", "w2"),
                "{\"type\":\"leader_crash\",\"leader_id\":\"s1\",\"msg_id\":5}",
                ack("job1", "w1"),
                CRASH,
                RESTART);
    for (int i = 3; i <= 6; i++) {
      assertThat(out.get(i).get("type").asText()).isEqualTo("error");
      assertThat(out.get(i).get("code").asInt()).isEqualTo(11);
    }
    assertThat(out.get(4).get("in_reply_to").asInt()).isEqualTo(5);
    assertThat(out.get(7).toString())
        .isEqualTo(
            "{\"type\":\"recovery_complete\","
                + "\"job_assignments\":{\"job1\":\"w1\"},\"pending_notifications\":[\"w1\"]}");
  }

  @Test
  void acknowledgingRemovesThePendingNotificationAndOnlyTheHolderMayAcknowledge() {
    List<JsonNode> out =
        new TestNode(dir)
            .runJson(
                assign("job1", "w1"),
                ack("job1", "w2"),
                ack("job9", "w1"),
                ack("job1", "w1"),
                ack("job1", "w1"),
                CRASH,
                RESTART);
    assertThat(out.get(1).get("code").asInt()).isEqualTo(22);
    assertThat(out.get(1).get("text").asText()).contains("held by w1 in generation 1");
    assertThat(out.get(2).get("code").asInt()).isEqualTo(20);
    assertThat(out.get(3).toString())
        .isEqualTo(
            "{\"type\":\"assignment_acknowledged\","
                + "\"job_id\":\"job1\",\"worker_id\":\"w1\",\"generation\":1}");
    assertThat(out.get(4).get("type").asText()).isEqualTo("assignment_acknowledged");
    assertThat(out.get(6).get("pending_notifications")).isEmpty();
    assertThat(out.get(6).get("job_assignments").toString()).isEqualTo("{\"job1\":\"w1\"}");
  }

  @Test
  void leaderCrashesElectTheNextReplicaUntilNoneIsLeft() {
    List<String> out =
        new TestNode(dir)
            .run(
                INIT,
                "{\"type\":\"leader_crash\",\"leader_id\":\"s1\"}",
                "{\"type\":\"leader_crash\",\"leader_id\":\"s2\"}",
                "{\"type\":\"leader_crash\",\"leader_id\":\"s3\",\"msg_id\":9}",
                "{\"type\":\"leader_crash\",\"leader_id\":\"s3\"}");
    assertThat(out.subList(1, 3))
        .containsExactly(
            "{\"type\": \"new_leader_elected\", \"old_leader\": \"s1\", \"new_leader\": \"s2\","
                + " \"term\": 2}",
            "{\"type\": \"new_leader_elected\", \"old_leader\": \"s2\", \"new_leader\": \"s3\","
                + " \"term\": 3}");
    assertThat(out.get(3)).startsWith("{\"type\": \"error\", \"in_reply_to\": 9, \"code\": 11,");
    assertThat(out.get(4)).startsWith("{\"type\": \"error\", \"code\": 22,");
  }

  @Test
  void crashingAFollowerMarksItDownAndTheElectionSkipsIt() {
    List<String> out =
        new TestNode(dir)
            .run(
                INIT,
                "{\"type\":\"leader_crash\",\"leader_id\":\"s2\"}",
                "{\"type\":\"leader_crash\",\"leader_id\":\"s1\"}",
                "{\"type\":\"leader_crash\",\"leader_id\":\"s7\"}");
    assertThat(out.subList(1, 3))
        .containsExactly(
            "{\"type\": \"replica_down\", \"replica\": \"s2\", \"leader\": \"s1\", \"term\": 1}",
            "{\"type\": \"new_leader_elected\", \"old_leader\": \"s1\", \"new_leader\": \"s3\","
                + " \"term\": 2}");
    assertThat(out.get(3)).startsWith("{\"type\": \"error\", \"code\": 20,");
  }

  @Test
  void leaderCrashWithoutAReplicaSetIsAnError() {
    List<String> out = new TestNode(dir).run("{\"type\":\"leader_crash\",\"leader_id\":\"s1\"}");
    assertThat(out)
        .singleElement()
        .asString()
        .startsWith("{\"type\": \"error\", \"code\": 20,")
        .contains("send init");
  }

  @Test
  void theLeaderSurvivesASchedulerCrash() {
    List<String> out =
        new TestNode(dir)
            .run(
                INIT,
                "{\"type\":\"leader_crash\",\"leader_id\":\"s1\"}",
                CRASH,
                RESTART,
                "{\"type\":\"leader_crash\",\"leader_id\":\"s2\"}");
    assertThat(out.get(out.size() - 1))
        .isEqualTo(
            "{\"type\": \"new_leader_elected\","
                + " \"old_leader\": \"s2\", \"new_leader\": \"s3\", \"term\": 3}");
  }
}
