package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.runtime.PartitionRouting;
import dev.hourglass.wal.FsyncPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One node with four partitions behind one API, over real HTTP on 127.0.0.1. */
class PartitionsHttpTest {
  static final int N = 4;
  @TempDir static Path dir;
  static HourglassServer server;
  static HttpTestClient http;
  static final AtomicInteger QUEUES = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    server =
        HourglassServer.start(
            ServerOptions.of(dir.resolve("data"))
                .withPort(0)
                .withFsync(new FsyncPolicy.NeverUnsafeForTests())
                .withPartitions(N));
    http = new HttpTestClient(server.uri());
  }

  @AfterAll
  static void stop() {
    server.stop();
  }

  static String freshQueue() {
    return "pq" + QUEUES.incrementAndGet();
  }

  static HttpTestClient.Reply submit(String json) {
    return http.post("/api/v1/jobs", json);
  }

  /** A key whose partition is {@code p}. */
  static String keyIn(int p, String prefix) {
    for (int i = 0; ; i++) {
      if (PartitionRouting.partitionOfKey(prefix + i, N) == p) {
        return prefix + i;
      }
    }
  }

  static List<JsonNode> leaseAll(String worker, String queue, int expected) {
    List<JsonNode> got = new ArrayList<>();
    for (int i = 0; i < 200 && got.size() < expected; i++) {
      var r =
          http.post(
              "/api/v1/lease",
              "{\"worker_id\":\""
                  + worker
                  + "\",\"max\":50,"
                  + "\"wait_ms\":200,\"queues\":[\""
                  + queue
                  + "\"]}");
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      r.body().get("assignments").forEach(got::add);
    }
    return got;
  }

  @Test
  void aJobAnswersItsPartitionAndKeysShareOne() {
    String q = freshQueue();
    String key = "customer-42";
    int expected = PartitionRouting.partitionOfKey(key, N);
    for (int i = 0; i < 5; i++) {
      var r = submit("{\"task\":\"t\",\"queue\":\"" + q + "\",\"partition_key\":\"" + key + "\"}");
      assertThat(r.status()).as(r.text()).isEqualTo(201);
      var job = http.get("/api/v1/jobs/" + r.str("job_id"));
      assertThat(job.body().get("partition").asInt()).isEqualTo(expected);
    }
    var bad =
        submit(
            "{\"task\":\"t\",\"job_id\":\""
                + keyIn((expected + 1) % N, "other")
                + "~x\",\"partition_key\":\""
                + key
                + "\"}");
    assertThat(bad.status()).as(bad.text()).isEqualTo(422);
    assertThat(bad.str("code")).isEqualTo("PARTITION_CONFLICT");
    assertThat(bad.str("detail"))
        .contains("partition_key \"customer-42\" places it in partition " + expected)
        .contains("nothing was applied");
    var good =
        submit("{\"task\":\"t\",\"job_id\":\"" + key + "~y\",\"partition_key\":\"" + key + "\"}");
    assertThat(good.status()).as(good.text()).isEqualTo(201);
    assertThat(http.get("/api/v1/jobs/customer-42~y").body().get("partition").asInt())
        .isEqualTo(expected);
  }

  @Test
  void aChildOfParentsInTwoPartitionsIsRefusedWith422() {
    String a = keyIn(0, "pa") + "~a";
    String b = keyIn(1, "pb") + "~b";
    assertThat(submit("{\"task\":\"t\",\"job_id\":\"" + a + "\"}").status()).isEqualTo(201);
    assertThat(submit("{\"task\":\"t\",\"job_id\":\"" + b + "\"}").status()).isEqualTo(201);
    var r = submit("{\"task\":\"t\",\"depends_on\":[\"" + a + "\",\"" + b + "\"]}");
    assertThat(r.status()).as(r.text()).isEqualTo(422);
    assertThat(r.str("detail"))
        .contains("lives in partition 0")
        .contains("partition 1")
        .contains("same partition_key");
    var child = submit("{\"task\":\"t\",\"depends_on\":[\"" + a + "\"]}");
    assertThat(child.status()).isEqualTo(201);
    assertThat(http.get("/api/v1/jobs/" + child.str("job_id")).body().get("partition").asInt())
        .isZero();
  }

  @Test
  void aBatchPipelineLandsInOnePartitionAndAKeylessBatchStaysWhole() {
    String k = "pipe-1";
    var r =
        http.post(
            "/api/v1/jobs:batch",
            "{\"jobs\":[{\"task\":\"t\",\"job_id\":\""
                + k
                + "~a\"},{\"task\":\"t\",\"job_id\":\""
                + k
                + "~b\",\"depends_on\":[\""
                + k
                + "~a\"]},"
                + "{\"task\":\"t\",\"depends_on\":[\""
                + k
                + "~b\"]}]}");
    assertThat(r.status()).as(r.text()).isEqualTo(201);
    Set<Integer> seen = new HashSet<>();
    r.body()
        .get("jobs")
        .forEach(
            j ->
                seen.add(
                    http.get("/api/v1/jobs/" + j.get("job_id").asText())
                        .body()
                        .get("partition")
                        .asInt()));
    assertThat(seen).containsExactly(PartitionRouting.partitionOfKey(k, N));
    var keyless =
        http.post(
            "/api/v1/jobs:batch",
            "{\"jobs\":[{\"task\":\"t\"},{\"task\":\"t\"}," + "{\"task\":\"t\"}]}");
    Set<Integer> one = new HashSet<>();
    keyless
        .body()
        .get("jobs")
        .forEach(
            j ->
                one.add(
                    http.get("/api/v1/jobs/" + j.get("job_id").asText())
                        .body()
                        .get("partition")
                        .asInt()));
    assertThat(one).hasSize(1);
  }

  @Test
  void listsStatsQueuesAndPartitionsAggregateAndPagingSeesEveryJobOnce() {
    String q = freshQueue();
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < 23; i++) {
      var r = submit("{\"task\":\"t\",\"queue\":\"" + q + "\",\"partition_key\":\"k" + i + "\"}");
      ids.add(r.str("job_id"));
    }
    Set<Integer> partitions = new HashSet<>();
    for (String id : ids) {
      partitions.add(http.get("/api/v1/jobs/" + id).body().get("partition").asInt());
    }
    assertThat(partitions).hasSize(N);
    List<String> paged = new ArrayList<>();
    String cursor = null;
    for (int page = 0; page < 50; page++) {
      var r =
          http.get(
              "/api/v1/jobs?queue=" + q + "&limit=4" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).as(r.text()).isEqualTo(200);
      r.body().get("jobs").forEach(j -> paged.add(j.get("job_id").asText()));
      cursor = r.body().path("next_cursor").asText(null);
      if (cursor == null) {
        break;
      }
    }
    assertThat(paged).hasSize(23).doesNotHaveDuplicates();
    assertThat(new HashSet<>(paged)).isEqualTo(ids);
    var queue = findQueue(q);
    assertThat(queue.get("counts").get("READY").asLong()).isEqualTo(23);
    var stats = http.get("/api/v1/stats").body();
    var parts = http.get("/api/v1/partitions").body().get("partitions");
    assertThat(parts).hasSize(N);
    long ready = 0;
    for (int p = 0; p < N; p++) {
      assertThat(parts.get(p).get("partition").asInt()).isEqualTo(p);
      assertThat(parts.get(p).get("log_position").asLong()).isPositive();
      ready += parts.get(p).get("counts").path("READY").asLong();
    }
    assertThat(ready).isEqualTo(stats.get("counts").get("READY").asLong());
    var bad = http.get("/api/v1/jobs?cursor=1.2");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.str("code")).isEqualTo("INVALID_ARGUMENT");
  }

  static JsonNode findQueue(String name) {
    for (JsonNode n : http.get("/api/v1/queues").body().get("queues")) {
      if (n.get("queue").asText().equals(name)) {
        return n;
      }
    }
    throw new AssertionError("no queue " + name);
  }

  @Test
  void oneWorkerTakesFromEveryPartitionAndItsReportsFindTheirJobs() {
    String q = freshQueue();
    for (int p = 0; p < N; p++) {
      for (int i = 0; i < 3; i++) {
        assertThat(
                submit(
                        "{\"task\":\"t\",\"queue\":\""
                            + q
                            + "\",\"partition_key\":\""
                            + keyIn(p, "w" + i + "-")
                            + "\"}")
                    .status())
            .isEqualTo(201);
      }
    }
    var got = leaseAll("w-all", q, 3 * N);
    assertThat(got).hasSize(3 * N);
    Set<Integer> from = new HashSet<>();
    for (JsonNode a : got) {
      String id = a.get("job_id").asText();
      from.add(http.get("/api/v1/jobs/" + id).body().get("partition").asInt());
      var done =
          http.post(
              "/api/v1/jobs/" + id + "/complete",
              "{\"worker_id\":\"w-all\"," + "\"generation\":" + a.get("generation").asInt() + "}");
      assertThat(done.status()).as(done.text()).isEqualTo(200);
    }
    assertThat(from).hasSize(N);
    assertThat(findQueue(q).get("counts").get("SUCCEEDED").asLong()).isEqualTo(3L * N);
  }

  @Test
  void aParkedPollIsWokenByAJobInAnyPartition() throws Exception {
    String q = freshQueue();
    for (int p = 0; p < N; p++) {
      String worker = "parked" + p; // capacity 1 each: the job it takes is not completed
      var poll =
          CompletableFuture.supplyAsync(
              () ->
                  http.post(
                      "/api/v1/lease",
                      "{\"worker_id\":\""
                          + worker
                          + "\",\"max\":1,\"wait_ms\":20000,\"queues\":[\""
                          + q
                          + "\"]}"));
      awaitParked();
      assertThat(
              submit(
                      "{\"task\":\"t\",\"queue\":\""
                          + q
                          + "\",\"partition_key\":\""
                          + keyIn(p, "park")
                          + "\"}")
                  .status())
          .isEqualTo(201);
      var r = poll.get(15, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(r.body().get("assignments")).as("partition %d", p).hasSize(1);
    }
  }

  static void awaitParked() throws InterruptedException {
    for (int i = 0; i < 1000; i++) {
      if (http.get("/api/v1/stats").body().get("parked_long_polls").asInt() > 0) {
        return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("the poll never parked");
  }

  @Test
  void aQueueLimitIsGlobalNotPerPartition() {
    String q = freshQueue();
    var tooSmall = http.put("/api/v1/queues/" + q + "/limits", "{\"max_running\":2}");
    assertThat(tooSmall.status()).as(tooSmall.text()).isEqualTo(422);
    assertThat(tooSmall.str("detail")).contains("max_running=2").contains("4 partitions");
    var set = http.put("/api/v1/queues/" + q + "/limits", "{\"max_running\":5}");
    assertThat(set.status()).as(set.text()).isEqualTo(200);
    assertThat(set.body().get("max_running").asInt()).isEqualTo(5);
    for (int p = 0; p < N; p++) {
      for (int i = 0; i < 3; i++) {
        submit(
            "{\"task\":\"t\",\"queue\":\""
                + q
                + "\",\"partition_key\":\""
                + keyIn(p, "lim" + i + "-")
                + "\"}");
      }
    }
    List<JsonNode> got = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      var r =
          http.post(
              "/api/v1/lease",
              "{\"worker_id\":\"lim" + i + "\",\"max\":10," + "\"queues\":[\"" + q + "\"]}");
      r.body().get("assignments").forEach(got::add);
    }
    assertThat(got).hasSize(5);
    assertThat(findQueue(q).get("running").asInt()).isEqualTo(5);
  }

  /**
   * A queue's rate limit is split over the partitions like max_running: together they start at most
   * the rate and the burst set, not N times them. Only an upper bound that grows with the time the
   * test saw pass is asserted, so a slow machine cannot fail it.
   */
  @Test
  void aRateLimitIsGlobalNotPerPartition() {
    String q = freshQueue();
    var tooSmall =
        http.put("/api/v1/queues/" + q + "/limits", "{\"rate_per_second\":10,\"burst\":2}");
    assertThat(tooSmall.status()).as(tooSmall.text()).isEqualTo(422);
    assertThat(tooSmall.str("code")).isEqualTo("LIMIT_BELOW_PARTITIONS");
    long start = System.nanoTime();
    var set = http.put("/api/v1/queues/" + q + "/limits", "{\"rate_per_second\":10,\"burst\":6}");
    assertThat(set.status()).as(set.text()).isEqualTo(200);
    assertThat(set.body().get("rate_per_second").asDouble()).isEqualTo(10.0);
    assertThat(set.body().get("burst").asInt()).isEqualTo(6);
    for (int p = 0; p < N; p++) {
      for (int i = 0; i < 8; i++) {
        submit(
            "{\"task\":\"t\",\"queue\":\""
                + q
                + "\",\"partition_key\":\""
                + keyIn(p, "rate" + i + "-")
                + "\"}");
      }
    }
    int got = 0;
    for (int i = 0; i < 8; i++) {
      var r =
          http.post(
              "/api/v1/lease",
              "{\"worker_id\":\"rate" + i + "\",\"max\":10," + "\"queues\":[\"" + q + "\"]}");
      got += r.body().get("assignments").size();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(got)
        .as("granted within %.2f s", seconds)
        .isLessThanOrEqualTo(6 + (int) Math.ceil(10 * seconds));
  }

  /**
   * Goal: the task limits listing answers the figures the user set, not one partition's share,
   * sorted by task name, and a task type whose limits were all removed leaves it.
   */
  @Test
  void taskLimitsListTheUsersFiguresOverAllPartitions() {
    var b = http.put("/api/v1/tasks/tl-b/limits", "{\"max_running\":6}");
    assertThat(b.status()).as(b.text()).isEqualTo(200);
    var a =
        http.put(
            "/api/v1/tasks/tl-a/limits",
            "{\"max_running\":5,\"rate_per_second\":10.5,\"burst\":7}");
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    submit("{\"task\":\"tl-a\",\"queue\":\"" + freshQueue() + "\"}");
    var lease = http.post("/api/v1/lease", "{\"worker_id\":\"tl-w\",\"tasks\":[\"tl-a\"]}");
    assertThat(lease.body().get("assignments")).as(lease.text()).hasSize(1);

    var listed = taskLimitsNamed("tl-");
    assertThat(listed).extracting(t -> t.get("task").asText()).containsExactly("tl-a", "tl-b");
    assertThat(listed.get(0).toString())
        .isEqualTo(
            "{\"task\":\"tl-a\",\"max_running\":5,\"running\":1,"
                + "\"rate_per_second\":10.5,\"burst\":7}");
    assertThat(listed.get(1).toString())
        .isEqualTo("{\"task\":\"tl-b\",\"max_running\":6,\"running\":0}");

    assertThat(http.put("/api/v1/tasks/tl-b/limits", "{\"max_running\":0}").status())
        .isEqualTo(200);
    assertThat(http.put("/api/v1/tasks/tl-a/limits", "{\"max_running\":0}").status())
        .isEqualTo(200);
    listed = taskLimitsNamed("tl-");
    assertThat(listed).extracting(t -> t.get("task").asText()).containsExactly("tl-a");
    assertThat(listed.get(0).get("max_running").asInt()).isZero();
    assertThat(listed.get(0).get("rate_per_second").asDouble()).isEqualTo(10.5);
  }

  /** The task types of {@code GET /api/v1/tasks/limits} whose name starts with {@code prefix}. */
  static List<JsonNode> taskLimitsNamed(String prefix) {
    var r = http.get("/api/v1/tasks/limits");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    r.body().get("tasks").forEach(out::add);
    assertThat(out).extracting(t -> t.get("task").asText()).isSorted();
    return out.stream().filter(t -> t.get("task").asText().startsWith(prefix)).toList();
  }

  @Test
  void metricsShowEachTaskTypesLimitsAsTheUserSetThem() {
    var set =
        http.put(
            "/api/v1/tasks/tm-a/limits", "{\"max_running\":9,\"rate_per_second\":2.5,\"burst\":4}");
    assertThat(set.status()).as(set.text()).isEqualTo(200);
    String text = http.get("/metrics").text();
    assertThat(text)
        .contains("hourglass_task_policy{setting=\"max_running\",task=\"tm-a\"} 9.0")
        .contains("hourglass_task_policy{setting=\"rate_per_second\",task=\"tm-a\"} 2.5")
        .contains("hourglass_task_policy{setting=\"burst\",task=\"tm-a\"} 4.0");
    http.put("/api/v1/tasks/tm-a/limits", "{\"max_running\":0,\"rate_per_second\":0}");
    assertThat(http.get("/metrics").text()).doesNotContain("task=\"tm-a\"");
  }

  /**
   * A long poll held back by a rate limit looks again when a partition's next token is due: no
   * command wakes it then, and it must not wait out its whole wait_ms next to a job it may run.
   */
  @Test
  void aPollHeldBackByARateLimitIsServedWhenTheNextTokenIsDue() {
    String q = freshQueue();
    var set = http.put("/api/v1/queues/" + q + "/limits", "{\"rate_per_second\":4,\"burst\":4}");
    assertThat(set.status()).as(set.text()).isEqualTo(200);
    for (int p = 0; p < N; p++) {
      for (int i = 0; i < 3; i++) {
        submit(
            "{\"task\":\"t\",\"queue\":\""
                + q
                + "\",\"partition_key\":\""
                + keyIn(p, "tok" + i + "-")
                + "\"}");
      }
    }
    int drained = 0;
    for (int i = 0; i < 4; i++) { // the burst: one token in each partition
      drained +=
          http.post(
                  "/api/v1/lease", "{\"worker_id\":\"tok\",\"max\":10,\"queues\":[\"" + q + "\"]}")
              .body()
              .get("assignments")
              .size();
    }
    assertThat(drained).isBetween(1, 8);
    long start = System.nanoTime();
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\"tok\",\"max\":1,\"wait_ms\":20000," + "\"queues\":[\"" + q + "\"]}");
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertThat(r.body().get("assignments").size()).as(r.text()).isEqualTo(1);
    // A partition refills one token a second here; 20 s is what the poll would wait unwoken.
    assertThat(millis).isLessThan(10_000);
  }

  @Test
  void randomMixOfKeysPipelinesAndSchedulesFindsEveryJob() {
    long seed = Long.getLong("partitions.seed", System.nanoTime());
    System.out.println("partitions.seed=" + seed);
    var random = new Random(seed);
    String q = freshQueue();
    Map<String, Integer> where = new HashMap<>();
    for (int i = 0; i < 60; i++) {
      String key = "r" + random.nextInt(10);
      String body =
          switch (random.nextInt(4)) {
            case 0 -> "{\"task\":\"t\",\"queue\":\"" + q + "\"}";
            case 1 -> "{\"task\":\"t\",\"queue\":\"" + q + "\",\"partition_key\":\"" + key + "\"}";
            case 2 ->
                "{\"task\":\"t\",\"queue\":\""
                    + q
                    + "\",\"job_id\":\""
                    + key
                    + "~"
                    + seed
                    + "-"
                    + i
                    + "\",\"idempotency_key\":\"i"
                    + random.nextInt(5)
                    + seed
                    + "\"}";
            default ->
                where.isEmpty()
                    ? "{\"task\":\"t\",\"queue\":\"" + q + "\"}"
                    : "{\"task\":\"t\",\"queue\":\""
                        + q
                        + "\",\"depends_on\":[\""
                        + where.keySet().iterator().next()
                        + "\"]}";
          };
      var r = submit(body);
      assertThat(r.status()).as(body + " -> " + r.text()).isIn(200, 201);
      String id = r.str("job_id");
      var job = http.get("/api/v1/jobs/" + id);
      assertThat(job.status()).isEqualTo(200);
      where.put(id, job.body().get("partition").asInt());
      assertThat(job.body().get("partition").asInt())
          .isEqualTo(PartitionRouting.partitionOfId(id, N));
    }
    var sched =
        http.post(
            "/api/v1/schedules",
            "{\"task\":\"t\",\"cron\":\"0 0 1 1 *\"," + "\"schedule_id\":\"r1~yearly\"}");
    assertThat(sched.status()).as(sched.text()).isEqualTo(201);
    assertThat(http.get("/api/v1/schedules/r1~yearly").status()).isEqualTo(200);
    assertThat(http.post("/api/v1/schedules/r1~yearly/pause", "").status()).isEqualTo(200);
    var withKey =
        http.post(
            "/api/v1/schedules",
            "{\"task\":\"t\",\"cron\":\"0 0 1 1 *\"," + "\"partition_key\":\"x\"}");
    assertThat(withKey.status()).isEqualTo(400);
    for (String id : where.keySet()) {
      var c = http.post("/api/v1/jobs/" + id + "/cancel", "{}");
      assertThat(c.status()).as(id + ": " + c.text()).isIn(200, 409);
    }
  }

  @Test
  void aRestartWithAnotherCountIsRefusedNamingBoth() throws Exception {
    Path data = dir.resolve("counted");
    HourglassServer.start(ServerOptions.of(data).withPort(0).withPartitions(2)).stop();
    assertThatThrownBy(
            () -> HourglassServer.start(ServerOptions.of(data).withPort(0).withPartitions(3)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("holds 2 partitions")
        .hasMessageContaining("--partitions 3");
    assertThatThrownBy(() -> HourglassServer.start(ServerOptions.of(data).withPort(0)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("--partitions 1");
    Path single = dir.resolve("single");
    HourglassServer.start(ServerOptions.of(single).withPort(0)).stop();
    assertThat(single.resolve("log")).exists();
    assertThatThrownBy(
            () -> HourglassServer.start(ServerOptions.of(single).withPort(0).withPartitions(4)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("holds 1 partition but")
        .hasMessageContaining("--partitions 4");
    HourglassServer.start(ServerOptions.of(data).withPort(0).withPartitions(2)).stop();
  }

  /**
   * Goal: a worker whose polls keep taking jobs from one partition is not declared dead in another
   * where it holds a lease (with one partition its polls alone keep it seen there).
   */
  @Test
  void aWorkerBusyInOnePartitionStaysAliveWhereItHoldsALease() throws Exception {
    String q = freshQueue();
    String w = "busy";
    assertThat(
            http.post(
                    "/api/v1/workers",
                    "{\"worker_id\":\""
                        + w
                        + "\",\"capacity\":10,"
                        + "\"heartbeat_timeout_ms\":4000}")
                .status())
        .isEqualTo(201);
    String held =
        submit(
                "{\"task\":\"t\",\"queue\":\""
                    + q
                    + "\",\"partition_key\":\""
                    + keyIn(0, "held")
                    + "\"}")
            .str("job_id");
    var first =
        http.post(
                "/api/v1/lease",
                "{\"worker_id\":\""
                    + w
                    + "\",\"max\":1,"
                    + "\"lease_ms\":600000,\"queues\":[\""
                    + q
                    + "\"]}")
            .body()
            .get("assignments");
    assertThat(first).hasSize(1);
    assertThat(first.get(0).get("job_id").asText()).isEqualTo(held);
    long end = System.nanoTime() + 10_000_000_000L;
    int rounds = 0;
    while (System.nanoTime() < end) {
      submit(
          "{\"task\":\"t\",\"queue\":\""
              + q
              + "\",\"partition_key\":\""
              + keyIn(1, "busy")
              + "\"}");
      var a =
          http.post(
                  "/api/v1/lease",
                  "{\"worker_id\":\"" + w + "\",\"max\":1," + "\"queues\":[\"" + q + "\"]}")
              .body()
              .get("assignments");
      for (JsonNode x : a) {
        http.post(
            "/api/v1/jobs/" + x.get("job_id").asText() + "/complete",
            "{\"worker_id\":\"" + w + "\",\"generation\":" + x.get("generation").asInt() + "}");
      }
      rounds++;
    }
    var job = http.get("/api/v1/jobs/" + held).body();
    assertThat(job.get("state").asText())
        .as("after %d rounds: %s", rounds, job)
        .isEqualTo("RUNNING");
    assertThat(job.get("generation").asInt()).isEqualTo(1);
  }

  @Test
  void aPollTakesTheBestPriorityOfAnyPartitionFirst() {
    String q = freshQueue();
    int[] priorities = {1, 9, 5, 7};
    for (int p = 0; p < N; p++) {
      for (int round = 0; round < 2; round++) { // twice, so the rotation cannot explain it
        submit(
            "{\"task\":\"t\",\"queue\":\""
                + q
                + "\",\"priority\":"
                + priorities[p]
                + ",\"partition_key\":\""
                + keyIn(p, "prio" + round + "-")
                + "\"}");
      }
    }
    assertThat(http.post("/api/v1/workers", "{\"worker_id\":\"ranked\",\"capacity\":10}").status())
        .isEqualTo(201);
    List<Integer> taken = new ArrayList<>();
    for (int i = 0; i < 2 * N; i++) {
      var a =
          http.post(
                  "/api/v1/lease",
                  "{\"worker_id\":\"ranked\",\"max\":1," + "\"queues\":[\"" + q + "\"]}")
              .body()
              .get("assignments");
      assertThat(a).hasSize(1);
      taken.add(
          http.get("/api/v1/jobs/" + a.get(0).get("job_id").asText())
              .body()
              .get("priority")
              .asInt());
    }
    assertThat(taken).containsExactly(9, 9, 7, 7, 5, 5, 1, 1);
  }

  @Test
  void metricsShowEachPartitionAndBadPollsAreRefusedAsWithOne() {
    submit("{\"task\":\"t\",\"queue\":\"" + freshQueue() + "\"}");
    String text = http.get("/metrics").text();
    for (int p = 0; p < N; p++) {
      assertThat(text)
          .contains("hourglass_partition_jobs{partition=\"" + p + "\"}")
          .contains("hourglass_partition_log_position{partition=\"" + p + "\"}");
    }
    for (int i = 0; i < 2; i++) { // the second poll of the worker too, not only its first
      var bad = http.post("/api/v1/lease", "{\"worker_id\":\"bad worker\",\"max\":1}");
      assertThat(bad.status()).as(bad.text()).isEqualTo(400);
      assertThat(bad.str("code")).isEqualTo("INVALID_ARGUMENT");
    }
    var tooMany = http.post("/api/v1/lease", "{\"worker_id\":\"w\",\"max\":0}");
    assertThat(tooMany.status()).isEqualTo(400);
  }

  /**
   * Goal: a worker that never registered gets, in every partition, the capacity of its first poll
   * (as with one partition), not the share of that poll a partition happened to serve; and that
   * capacity holds over all partitions together, not once per partition.
   */
  @Test
  void aWorkerRegisteredByItsFirstPollHasItsFullCapacityOverAllPartitions() {
    String q = freshQueue();
    for (int p = 0; p < N; p++) {
      for (int i = 0; i < 8; i++) {
        submit(
            "{\"task\":\"t\",\"queue\":\""
                + q
                + "\",\"partition_key\":\""
                + keyIn(p, "cap" + i + "-")
                + "\"}");
      }
    }
    List<JsonNode> held = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      leaseNow("unregistered", 10, q).forEach(held::add);
    }
    assertThat(held).as("capacity 10 over %d partitions", N).hasSize(10);
    for (JsonNode w : http.get("/api/v1/workers").body().get("workers")) {
      if (w.get("worker_id").asText().equals("unregistered")) {
        assertThat(w.get("capacity").asInt()).isEqualTo(10);
      }
    }
    complete("unregistered", held);
    assertThat(leaseNow("unregistered", 10, q)).as("after completing all ten").hasSize(10);
  }

  /**
   * Goal: a worker of capacity 1 holds one job at a time over all partitions, though every
   * partition has a job for it; a poll parked while its one slot is taken is woken as soon as its
   * job completes in another partition, and then takes one job.
   */
  @Test
  void aWorkerOfCapacityOneHoldsOneJobOverAllPartitions() throws Exception {
    String q = freshQueue();
    for (int p = 0; p < N; p++) {
      for (int i = 0; i < 2; i++) {
        submit(
            "{\"task\":\"t\",\"queue\":\""
                + q
                + "\",\"partition_key\":\""
                + keyIn(p, "one" + i + "-")
                + "\"}");
      }
    }
    var first = leaseNow("one", 1, q); // registers it with capacity 1
    assertThat(first).hasSize(1);
    for (int i = 0; i < 2 * N; i++) {
      assertThat(leaseNow("one", 5, q)).as("poll %d while it holds its one job", i).isEmpty();
    }
    var poll =
        CompletableFuture.supplyAsync(
            () ->
                http.post(
                    "/api/v1/lease",
                    "{\"worker_id\":\"one\",\"max\":5,\"wait_ms\":60000,\"queues\":[\""
                        + q
                        + "\"]}"));
    awaitParked();
    assertThat(poll).isNotDone();
    complete("one", List.of(first.get(0)));
    var r = poll.get(30, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.body().get("assignments")).as("woken by its own completion").hasSize(1);
    assertThat(leaseNow("one", 5, q)).isEmpty();
  }

  /** One poll that does not wait. */
  static List<JsonNode> leaseNow(String worker, int max, String queue) {
    var r =
        http.post(
            "/api/v1/lease",
            "{\"worker_id\":\""
                + worker
                + "\",\"max\":"
                + max
                + ",\"wait_ms\":0,\"queues\":[\""
                + queue
                + "\"]}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    r.body().get("assignments").forEach(out::add);
    return out;
  }

  static void complete(String worker, List<JsonNode> assignments) {
    for (JsonNode a : assignments) {
      var done =
          http.post(
              "/api/v1/jobs/" + a.get("job_id").asText() + "/complete",
              "{\"worker_id\":\""
                  + worker
                  + "\",\"generation\":"
                  + a.get("generation").asInt()
                  + "}");
      assertThat(done.status()).as(done.text()).isEqualTo(200);
    }
  }
}
