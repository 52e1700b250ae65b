package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Seed 002: one-time and cron jobs, due execution, forced failures with backoff. */
class SchedulingTest {
  @TempDir Path dir;

  private static String executeJobs(int msgId, String time) {
    return "{\"type\":\"execute_jobs\",\"msg_id\":" + msgId + ",\"current_time\":\"" + time + "\"}";
  }

  private static String fail(String jobId) {
    return "{\"type\":\"execute_job\",\"msg_id\":4,\"job_id\":\""
        + jobId
        + "\",\"force_fail\":true}";
  }

  private static List<String> ids(JsonNode jobsExecuted) {
    return jobsExecuted.get("jobs").valueStream().map(JsonNode::asText).toList();
  }

  @Test
  void oneTimeJobIsScheduledAtNowPlusDelay() {
    List<String> out =
        new TestNode(dir)
            .at("2026-03-10T10:00:00Z")
            .run(
                "{\"type\":"
                    + "\"schedule_job\",\"msg_id\":1,\"task\":\"send-email\",\"payload\":{\"to\":\"u@x\"},"
                    + "\"delay_ms\":60000}");
    assertThat(out)
        .singleElement()
        .asString()
        .matches(
            "\\{\"type\": \"job_scheduled\", \"in_reply_to\": 1, \"job_id\": \"id-1\","
                + " \"scheduled_at\": \"2026-03-10T10:01:00Z\"}");
  }

  @ParameterizedTest(name = "{0} at {1} next runs {2}")
  @CsvSource({
    "0 0 * * *,   2026-03-10T10:00:00Z, 2026-03-11T00:00:00Z",
    "0 0 * * *,   2026-01-31T12:00:00Z, 2026-02-01T00:00:00Z",
    "0 0 * * *,   2026-02-28T23:59:59Z, 2026-03-01T00:00:00Z",
    "0 0 * * *,   2028-02-28T08:00:00Z, 2028-02-29T00:00:00Z",
    "0 0 * * *,   2026-12-31T23:30:00Z, 2027-01-01T00:00:00Z",
    "0 0 1 * *,   2026-12-15T00:00:00Z, 2027-01-01T00:00:00Z",
    "0 0 31 * *,  2026-01-31T01:00:00Z, 2026-03-31T00:00:00Z",
    "30 23 * * *, 2026-12-31T23:30:00Z, 2027-01-01T23:30:00Z",
    "*/15 * * * *, 2026-12-31T23:59:00Z, 2027-01-01T00:00:00Z",
  })
  void cronNextRunCrossesMonthAndYearEnds(String cron, String now, String next) {
    List<String> out =
        new TestNode(dir)
            .at(now)
            .run(
                "{\"type\":\"schedule_job\",\"msg_id\":2,"
                    + "\"task\":\"cleanup\",\"cron\":\""
                    + cron
                    + "\",\"payload\":{\"days\":30}}");
    assertThat(out)
        .singleElement()
        .asString()
        .matches(
            "\\{\"type\": \"job_scheduled\", \"in_reply_to\": 2, \"job_id\": \"id-1\","
                + " \"next_run\": \""
                + next
                + "\"}");
  }

  @Test
  void executeJobsRunsDueJobsOnceInDueOrder() {
    TestNode node = new TestNode(dir).at("2026-03-10T10:00:00Z");
    List<JsonNode> out =
        node.runJson(
            "{\"type\":\"schedule_job\",\"msg_id\":1,\"task\":\"a\",\"delay_ms\":5000}",
            "{\"type\":\"schedule_job\",\"msg_id\":2,\"task\":\"b\",\"delay_ms\":1000}",
            "{\"type\":\"schedule_job\",\"msg_id\":3,\"task\":\"c\",\"delay_ms\":3600000}",
            executeJobs(4, "2026-03-10T09:00:00Z"),
            executeJobs(5, "2026-03-10T10:00:10Z"),
            executeJobs(6, "2026-03-10T10:00:10Z"),
            executeJobs(7, "2026-03-10T12:00:00Z"));
    String a = out.get(0).get("job_id").asText();
    String b = out.get(1).get("job_id").asText();
    String c = out.get(2).get("job_id").asText();
    assertThat(out.get(3).toString())
        .isEqualTo("{\"type\":\"jobs_executed\",\"in_reply_to\":4,\"count\":0,\"jobs\":[]}");
    assertThat(ids(out.get(4))).containsExactly(b, a);
    assertThat(out.get(4).get("count").asInt()).isEqualTo(2);
    assertThat(ids(out.get(5))).isEmpty();
    assertThat(ids(out.get(6))).containsExactly(c);
  }

  @Test
  void cronJobRunsOncePerExecutionAndMovesToItsNextFiring() {
    TestNode node = new TestNode(dir).at("2026-12-30T10:00:00Z");
    List<JsonNode> out =
        node.runJson(
            "{\"type\":\"schedule_job\",\"msg_id\":1,\"task\":\"cleanup\",\"cron\":\"0 0 * * *\"}",
            executeJobs(2, "2026-12-30T23:59:59Z"),
            executeJobs(3, "2027-01-01T01:00:00Z"),
            executeJobs(4, "2027-01-01T01:00:00Z"),
            executeJobs(5, "2027-01-02T00:00:00Z"));
    String cron = out.get(0).get("job_id").asText();
    assertThat(ids(out.get(1))).isEmpty();
    assertThat(ids(out.get(2))).containsExactly(cron);
    assertThat(ids(out.get(3))).isEmpty();
    assertThat(ids(out.get(4))).containsExactly(cron);
  }

  @Test
  void forcedFailuresBackOffExponentiallyUntilTheJobIsDeadLettered() {
    List<String> out =
        new TestNode(dir).run(fail("job-123"), fail("job-123"), fail("job-123"), fail("job-123"));
    assertThat(out.subList(0, 3))
        .containsExactly(
            "{\"type\": \"job_failed\", \"in_reply_to\": 4, \"job_id\": \"job-123\","
                + " \"retry_scheduled\": true, \"backoff_ms\": 2000}",
            "{\"type\": \"job_failed\", \"in_reply_to\": 4, \"job_id\": \"job-123\","
                + " \"retry_scheduled\": true, \"backoff_ms\": 4000}",
            "{\"type\": \"job_failed\", \"in_reply_to\": 4, \"job_id\": \"job-123\","
                + " \"retry_scheduled\": false}");
    assertThat(out.get(3))
        .startsWith("{\"type\": \"error\", \"in_reply_to\": 4, \"code\": 22,")
        .contains("dead-lettered after 3 of 3 attempts");
  }

  @Test
  void scheduledJobHonoursItsOwnAttemptsAndBase() {
    List<String> out =
        new TestNode(dir)
            .run(
                "{\"type\":\"schedule_job\",\"msg_id\":1,"
                    + "\"task\":\"t\",\"delay_ms\":600000,\"max_attempts\":3,\"base_ms\":250}",
                fail("id-1"),
                fail("id-1"),
                fail("id-1"));
    assertThat(out.subList(1, 4))
        .containsExactly(
            "{\"type\": \"job_failed\", \"in_reply_to\": 4, \"job_id\": \"id-1\","
                + " \"retry_scheduled\": true, \"backoff_ms\": 500}",
            "{\"type\": \"job_failed\", \"in_reply_to\": 4, \"job_id\": \"id-1\","
                + " \"retry_scheduled\": true, \"backoff_ms\": 1000}",
            "{\"type\": \"job_failed\", \"in_reply_to\": 4, \"job_id\": \"id-1\","
                + " \"retry_scheduled\": false}");
  }

  @Test
  void aFailedJobRunsAgainInExecuteJobsOnceItsBackoffHasPassed() {
    List<JsonNode> out =
        new TestNode(dir)
            .at("2026-03-10T10:00:00Z")
            .runJson(
                fail("job-7"),
                executeJobs(5, "2026-03-10T10:00:01Z"),
                executeJobs(6, "2026-03-10T10:00:02Z"),
                executeJobs(7, "2026-03-10T10:00:03Z"));
    assertThat(out.get(0).get("backoff_ms").asLong()).isEqualTo(2000);
    assertThat(ids(out.get(1))).isEmpty();
    assertThat(ids(out.get(2))).containsExactly("job-7");
    assertThat(ids(out.get(3))).isEmpty();
  }

  @Test
  void executingAnUnknownJobCreatesItOnTheSpot() {
    List<String> out =
        new TestNode(dir)
            .run(
                "{\"type\":\"execute_job\",\"msg_id\":4,\"job_id\":\"job-123\"}",
                "{\"type\":\"execute_job\",\"msg_id\":5,\"job_id\":\"job-123\"}");
    assertThat(out.get(0))
        .isEqualTo(
            "{\"type\": \"job_executed\", \"in_reply_to\": 4,"
                + " \"job_id\": \"job-123\", \"status\": \"completed\"}");
    assertThat(out.get(1))
        .startsWith("{\"type\": \"error\", \"in_reply_to\": 5, \"code\": 22,")
        .contains("SUCCEEDED");
  }

  @Test
  void executingACronJobRunsAnExtraFiringUnderTheCronJobsId() {
    List<String> out =
        new TestNode(dir)
            .at("2026-03-10T10:00:00Z")
            .run(
                "{\"type\":\"schedule_job\",\"msg_id\":1,\"task\":\"cleanup\",\"cron\":\"0 0 * * *\"}",
                "{\"type\":\"execute_job\",\"msg_id\":2,\"job_id\":\"id-1\"}",
                "{\"type\":\"execute_job\",\"msg_id\":3,\"job_id\":\"id-1\",\"force_fail\":true}",
                executeJobs(4, "2026-03-10T10:00:03Z"),
                executeJobs(5, "2026-03-11T00:00:00Z"));
    assertThat(out.get(1))
        .isEqualTo(
            "{\"type\": \"job_executed\", \"in_reply_to\": 2,"
                + " \"job_id\": \"id-1\", \"status\": \"completed\"}");
    assertThat(out.get(2))
        .isEqualTo(
            "{\"type\": \"job_failed\", \"in_reply_to\": 3,"
                + " \"job_id\": \"id-1\", \"retry_scheduled\": true, \"backoff_ms\": 2000}");
    assertThat(out.get(3))
        .isEqualTo(
            "{\"type\": \"jobs_executed\", \"in_reply_to\": 4,"
                + " \"count\": 1, \"jobs\": [\"id-1\"]}");
    assertThat(out.get(4))
        .isEqualTo(
            "{\"type\": \"jobs_executed\", \"in_reply_to\": 5,"
                + " \"count\": 1, \"jobs\": [\"id-1\"]}");
  }

  @Test
  void invalidSchedulesAreMalformedRequests() {
    List<JsonNode> out =
        new TestNode(dir)
            .runJson(
                "{\"type\":\"schedule_job\",\"msg_id\":1,\"task\":\"t\",\"cron\":\"61 * * * *\"}",
                "{\"type\":\"schedule_job\",\"msg_id\":2,\"task\":\"t\",\"cron\":\"* * *\"}",
                "{\"type\":\"schedule_job\",\"msg_id\":3,\"task\":\"t\",\"cron\":\"0 0 * * *\","
                    + "\"delay_ms\":5}",
                "{\"type\":\"schedule_job\",\"msg_id\":4,\"task\":\"t\",\"delay_ms\":-5}",
                "{\"type\":\"schedule_job\",\"msg_id\":5,\"task\":\"t\",\"max_attempts\":0}",
                "{\"type\":\"execute_jobs\",\"msg_id\":6,\"current_time\":\"yesterday\"}");
    assertThat(out)
        .allSatisfy(
            reply -> {
              assertThat(reply.get("type").asText()).isEqualTo("error");
              assertThat(reply.get("code").asInt()).isEqualTo(12);
            });
    assertThat(out.get(1).get("text").asText()).contains("has 3 fields");
    assertThat(out.get(5).get("text").asText()).contains("2024-01-15T09:00:00Z");
  }
}
