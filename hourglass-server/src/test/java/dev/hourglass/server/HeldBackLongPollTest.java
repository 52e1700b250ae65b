package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A long poll held back from READY jobs (a queue's or a task's limit, a paused queue, a worker at
 * capacity, a task type the worker cannot run) waits without writing to the log, and is woken as
 * soon as it could get a job.
 *
 * <p>"Writes" are counted with {@code hourglass_log_batch_commands_sum}, the commands the server
 * has logged. A held-back poll logs its first lease (which also marks the worker as seen) and
 * nothing more; before this was fixed, one 2-second poll logged thousands of futile retries. Each
 * test has its own server, so nothing else writes meanwhile (every lease and worker timeout is far
 * away). Wake-ups are checked by result, never by elapsed time: a poll that is not woken answers
 * empty at its deadline, and the test fails.
 */
class HeldBackLongPollTest {
  /** A held-back poll waits this long; long enough for a spinning loop to log thousands. */
  static final long HELD_MS = 2_000;

  /** A poll that must be woken waits this long, so its deadline never answers it by chance. */
  static final long WOKEN_MS = 30_000;

  /** The first lease of a poll, and room for one tick. */
  static final long HELD_WRITES_MAX = 2;

  @RegisterExtension
  final HourglassServerExtension server =
      HourglassServerExtension.withOptions(o -> o.withBind("127.0.0.1"));

  final HttpTestClient http = server.http();

  String submit(String queue, String task) {
    var r =
        http.post(
            "/api/v1/jobs",
            "{\"task\":\"" + task + "\",\"queue\":\"" + queue + "\",\"payload\":{}}");
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    return r.str("job_id");
  }

  JsonNode lease(String worker, int max, long waitMs, String queue, List<String> tasks) {
    String taskList = tasks.stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(","));
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\""
                + worker
                + "\",\"max\":"
                + max
                + ",\"wait_ms\":"
                + waitMs
                + ",\"lease_ms\":600000,\"queues\":[\""
                + queue
                + "\"]"
                + (tasks.isEmpty() ? "" : ",\"tasks\":[" + taskList + "]")
                + "}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    return r.body().get("assignments");
  }

  void ok(HttpTestClient.Reply r) {
    assertThat(r.status()).as(r.text()).isBetween(200, 201);
  }

  void complete(JsonNode assignment, String worker) {
    ok(
        http.post(
            "/api/v1/jobs/" + assignment.get("job_id").asText() + "/complete",
            "{\"worker_id\":\""
                + worker
                + "\",\"generation\":"
                + assignment.get("generation").asInt()
                + "}"));
  }

  long logged() {
    String text = http.get("/metrics").text();
    for (String line : text.split("\n")) {
      if (line.startsWith("hourglass_log_batch_commands_sum")) {
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no hourglass_log_batch_commands_sum in /metrics");
  }

  int parked() {
    return http.get("/api/v1/stats").body().get("parked_long_polls").asInt();
  }

  /** Polls for {@link #HELD_MS}, expects nothing, and returns how many commands were logged. */
  long heldBackPoll(String worker, int max, String queue, List<String> tasks) {
    long before = logged();
    JsonNode got = lease(worker, max, HELD_MS, queue, tasks);
    long written = logged() - before;
    System.out.printf(
        "held-back poll (%s): %d commands logged in %d ms%n", worker, written, HELD_MS);
    assertThat(got).as("a held-back poll gets nothing").isEmpty();
    assertThat(written)
        .as("commands logged during one held-back poll of %d ms", HELD_MS)
        .isLessThanOrEqualTo(HELD_WRITES_MAX);
    return written;
  }

  /** Starts a poll, waits until it is parked, runs {@code wake}, and returns what it got. */
  JsonNode wokenPoll(String worker, int max, String queue, List<String> tasks, Runnable wake)
      throws Exception {
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      int before = parked();
      var poll =
          CompletableFuture.supplyAsync(() -> lease(worker, max, WOKEN_MS, queue, tasks), pool);
      await().atMost(Duration.ofSeconds(10)).until(() -> parked() > before);
      long logged = logged();
      wake.run();
      JsonNode got = poll.get(WOKEN_MS * 2, TimeUnit.MILLISECONDS);
      assertThat(got).as("the parked poll was woken with a job").isNotEmpty();
      System.out.printf(
          "woken poll (%s): %d commands logged from the wake to the answer%n",
          worker, logged() - logged);
      return got;
    }
  }

  @Test
  void aQueueAtItsLimitHoldsThePollWithoutWritesUntilASlotFrees() throws Exception {
    ok(http.put("/api/v1/queues/q/limits", "{\"max_running\":1}"));
    submit("q", "t");
    String second = submit("q", "t");
    JsonNode running = lease("w1", 1, 0, "q", List.of()).get(0);

    heldBackPoll("w2", 1, "q", List.of());
    JsonNode got = wokenPoll("w2", 1, "q", List.of(), () -> complete(running, "w1"));
    assertThat(got.get(0).get("job_id").asText()).isEqualTo(second);
  }

  @Test
  void aQueueAtItsLimitWakesThePollWhenTheLimitIsRaised() throws Exception {
    ok(http.put("/api/v1/queues/q/limits", "{\"max_running\":1}"));
    submit("q", "t");
    String second = submit("q", "t");
    lease("w1", 1, 0, "q", List.of());

    JsonNode got =
        wokenPoll(
            "w2",
            1,
            "q",
            List.of(),
            () -> ok(http.put("/api/v1/queues/q/limits", "{\"max_running\":2}")));
    assertThat(got.get(0).get("job_id").asText()).isEqualTo(second);
  }

  @Test
  void aTaskAtItsLimitHoldsThePollWithoutWritesUntilTheLimitIsRaised() throws Exception {
    ok(http.put("/api/v1/tasks/t/limits", "{\"max_running\":1}"));
    submit("q", "t");
    String second = submit("q", "t");
    lease("w1", 1, 0, "q", List.of());

    heldBackPoll("w2", 1, "q", List.of());
    JsonNode got =
        wokenPoll(
            "w2",
            1,
            "q",
            List.of(),
            () -> ok(http.put("/api/v1/tasks/t/limits", "{\"max_running\":2}")));
    assertThat(got.get(0).get("job_id").asText()).isEqualTo(second);
  }

  @Test
  void aPausedQueueHoldsThePollWithoutWritesUntilResumed() throws Exception {
    String id = submit("q", "t");
    ok(http.post("/api/v1/queues/q/pause", "{}"));

    heldBackPoll("w", 1, "q", List.of());
    JsonNode got =
        wokenPoll("w", 1, "q", List.of(), () -> ok(http.post("/api/v1/queues/q/resume", "{}")));
    assertThat(got.get(0).get("job_id").asText()).isEqualTo(id);
  }

  @Test
  void aWorkerAtCapacityWaitsWithoutWritesUntilItsOwnJobEnds() throws Exception {
    ok(http.post("/api/v1/workers", "{\"worker_id\":\"w\",\"capacity\":1}"));
    submit("q", "t");
    String second = submit("q", "t");
    JsonNode held = lease("w", 1, 0, "q", List.of()).get(0);

    heldBackPoll("w", 1, "q", List.of());
    JsonNode got = wokenPoll("w", 1, "q", List.of(), () -> complete(held, "w"));
    assertThat(got.get(0).get("job_id").asText()).isEqualTo(second);
  }

  @Test
  void aPollForOtherTasksWaitsWithoutWritesUntilAJobOfItsTaskArrives() throws Exception {
    submit("q", "resize-image");

    heldBackPoll("mailer", 1, "q", List.of("send-email"));
    String[] email = new String[1];
    JsonNode got =
        wokenPoll(
            "mailer", 1, "q", List.of("send-email"), () -> email[0] = submit("q", "send-email"));
    assertThat(got.get(0).get("job_id").asText()).isEqualTo(email[0]);
    assertThat(got.get(0).get("task").asText()).isEqualTo("send-email");
  }

  @Test
  void manyHeldBackPollsTogetherStillWriteOnlyTheirFirstLeases() throws Exception {
    ok(http.put("/api/v1/queues/q/limits", "{\"max_running\":1}"));
    submit("q", "t");
    submit("q", "t");
    JsonNode running = lease("w0", 1, 0, "q", List.of()).get(0);
    int polls = 8;
    long before = logged();
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<CompletableFuture<JsonNode>> all = new java.util.ArrayList<>();
      for (int i = 1; i <= polls; i++) {
        String w = "w" + i;
        all.add(CompletableFuture.supplyAsync(() -> lease(w, 1, WOKEN_MS, "q", List.of()), pool));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> parked() == polls);
      long parkedWrites = logged() - before;
      complete(running, "w0"); // frees one slot: one poll gets the job
      await().atMost(Duration.ofSeconds(10)).until(() -> all.stream().anyMatch(f -> f.isDone()));
      long afterWake = logged() - before;
      System.out.printf(
          "%d parked polls: %d commands logged to park, %d after one slot freed%n",
          polls, parkedWrites, afterWake);
      assertThat(parkedWrites).isLessThanOrEqualTo(polls + 1);
      // the complete, one retried lease that got the job, perhaps a tick: not one per poll
      assertThat(afterWake - parkedWrites).isLessThanOrEqualTo(3);
      assertThat(all.stream().filter(CompletableFuture::isDone).count()).isEqualTo(1);
      assertThat(all.stream().filter(CompletableFuture::isDone).findFirst().orElseThrow().get())
          .hasSize(1);
      server.stop(); // answers the other parked polls empty
    }
  }
}
