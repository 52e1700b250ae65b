package dev.hourglass.client.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.ErrorCode;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobQuery;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.RequestCountingProxy;
import dev.hourglass.client.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir Path dir;
  TestServer ts;
  HourglassClient client;
  final List<Worker> workers = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    ts = TestServer.start(dir);
    client = ts.client;
  }

  @AfterEach
  void stop() {
    workers.forEach(w -> w.shutdown(Duration.ZERO));
    ts.close();
  }

  private Worker.Builder worker(String id) {
    return Worker.builder(client)
        .workerId(id)
        .capacity(4)
        .pollWait(Duration.ofSeconds(5))
        .backoff(Duration.ofMillis(20), Duration.ofMillis(200));
  }

  /** A listener that keeps each lost lease's refusal and counts completions. */
  private static WorkerListener recording(List<HourglassException> lost, AtomicInteger completed) {
    return new WorkerListener() {
      @Override
      public void onLeaseLost(JobContext ctx, HourglassException refusal) {
        lost.add(refusal);
      }

      @Override
      public void onCompleted(JobContext ctx, Object result) {
        completed.incrementAndGet();
      }
    };
  }

  private Worker started(Worker.Builder b) {
    Worker w = b.build().start();
    workers.add(w);
    return w;
  }

  @Test
  void submitLeaseAndCompleteThroughTheSdk() {
    started(
        worker("w1")
            .handler(
                "echo",
                ctx ->
                    Map.of(
                        "echo",
                        ctx.payloadAs(JsonNode.class),
                        "generation",
                        ctx.generation(),
                        "worker",
                        ctx.workerId())));
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(client.submit(JobRequest.builder("echo").payload(Map.of("i", i)).build()).jobId());
    }
    await()
        .atMost(WAIT)
        .until(() -> ids.stream().allMatch(id -> client.job(id).state() == JobState.SUCCEEDED));
    Job j = client.job(ids.get(7));
    assertThat(j.result())
        .contains("\"echo\":{\"i\":7}")
        .contains("\"worker\":\"w1\"")
        .contains("\"generation\":1");
    assertThat(j.attempts())
        .singleElement()
        .satisfies(a -> assertThat(a.workerId()).isEqualTo("w1"));
  }

  /** registered() follows the server: false before start, true once known, false after close. */
  @Test
  void registeredIsTrueWhileTheServerKnowsTheWorker() {
    Worker w = worker("reg").handler("echo", ctx -> null).build();
    assertThat(w.registered()).isFalse();
    workers.add(w.start());
    await().atMost(WAIT).until(w::registered);
    assertThat(client.workers()).anySatisfy(i -> assertThat(i.workerId()).isEqualTo("reg"));
    w.close();
    assertThat(w.registered()).isFalse();
  }

  /**
   * A mixed fleet on one queue: each worker leases only the task types it has handlers for, so no
   * job is failed by a worker that cannot run it (one attempt each: a wrong-worker failure would
   * dead-letter it), and the server lists who can run what.
   */
  @Test
  void aMixedFleetOnOneQueueRunsEachJobOnAWorkerWithItsHandler() {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String task = i % 2 == 0 ? "send-email" : "resize-image";
      ids.add(
          client.submit(JobRequest.builder(task).queue("mixed").maxAttempts(1).build()).jobId());
    }
    started(worker("mailer").queues(List.of("mixed")).handler("send-email", ctx -> ctx.workerId()));
    started(
        worker("resizer")
            .queues(List.of("mixed"))
            .handler("resize-image", ctx -> ctx.workerId())
            .handler("crop-image", ctx -> ctx.workerId()));

    await()
        .atMost(WAIT)
        .until(
            () ->
                ids.stream()
                    .map(client::job)
                    .allMatch(j -> j.state() == JobState.SUCCEEDED || j.state() == JobState.DEAD));
    assertThat(client.deadLetters(100)).isEmpty();
    for (String id : ids) {
      Job j = client.job(id);
      String expected = j.task().equals("send-email") ? "mailer" : "resizer";
      assertThat(j.attempts())
          .as("attempts of %s (%s)", id, j.task())
          .singleElement()
          .satisfies(a -> assertThat(a.workerId()).isEqualTo(expected));
    }
    assertThat(client.workers())
        .extracting(w -> w.workerId() + "=" + w.tasks())
        .containsExactlyInAnyOrder("mailer=[send-email]", "resizer=[resize-image, crop-image]");
  }

  @Test
  void aJobWithoutAHandlerIsLeftReadyAndShownAsUnrunnable() {
    started(worker("mailer").handler("send-email", ctx -> "sent"));
    String resize = client.submit(JobRequest.builder("resize-image").build()).jobId();
    String email = client.submit(JobRequest.builder("send-email").build()).jobId();
    await().atMost(WAIT).until(() -> client.job(email).state() == JobState.SUCCEEDED);
    assertThat(client.job(resize).state()).isEqualTo(JobState.READY);
    assertThat(client.job(resize).attempts()).isEmpty();
    assertThat(client.queues())
        .filteredOn(q -> q.queue().equals("default"))
        .singleElement()
        .satisfies(q -> assertThat(q.unrunnable()).containsExactly(Map.entry("resize-image", 1L)));
  }

  @Test
  void aThrowingHandlerIsRetriedThenDeadLettered() {
    var attempts = new CopyOnWriteArrayList<Integer>();
    var states = new CopyOnWriteArrayList<JobState>();
    started(
        worker("w1")
            .handler(
                "boom",
                ctx -> {
                  attempts.add(ctx.attempt());
                  throw new IllegalStateException("always fails");
                })
            .listener(
                new WorkerListener() {
                  @Override
                  public void onFailed(JobContext ctx, Throwable error, JobState state) {
                    states.add(state);
                  }
                }));
    String id =
        client
            .submit(
                JobRequest.builder("boom").maxAttempts(3).backoff(Duration.ofMillis(10)).build())
            .jobId();
    await().atMost(WAIT).until(() -> client.job(id).state() == JobState.DEAD);
    assertThat(attempts).containsExactly(1, 2, 3);
    assertThat(states).containsExactly(JobState.FAILED, JobState.FAILED, JobState.DEAD);
    Job dead = client.job(id);
    assertThat(dead.attempts())
        .extracting(Job.Attempt::outcome)
        .containsExactly("FAILED", "FAILED", "FAILED");
    assertThat(dead.attempts().get(2).error()).contains("always fails");
    assertThat(client.deadLetters(10)).extracting(Job::jobId).containsExactly(id);
  }

  @Test
  void aFlakyHandlerSucceedsOnItsThirdAttemptAndNonRetryableGoesStraightToTheDlq() {
    started(
        worker("w1")
            .handler(
                "flaky",
                ctx -> {
                  if (ctx.attempt() <= 2) {
                    throw new RuntimeException("flaky failure " + ctx.attempt());
                  }
                  return "ok on attempt " + ctx.attempt();
                })
            .handler(
                "poison",
                ctx -> {
                  throw new NonRetryableException("bad payload");
                }));
    String flaky =
        client
            .submit(
                JobRequest.builder("flaky").maxAttempts(5).backoff(Duration.ofMillis(10)).build())
            .jobId();
    String poison = client.submit(JobRequest.builder("poison").maxAttempts(5).build()).jobId();
    await()
        .atMost(WAIT)
        .until(
            () ->
                client.job(flaky).state() == JobState.SUCCEEDED
                    && client.job(poison).state() == JobState.DEAD);
    assertThat(client.job(flaky).result()).isEqualTo("\"ok on attempt 3\"");
    assertThat(client.job(poison).attempts()).hasSize(1);
  }

  @Test
  void aWorkerWhoseLeaseIsLostIsToldSoAndDropsTheJob() {
    // Goal: w1 stalls (no heartbeat within its 300 ms lease, as in a long GC pause); the lease
    // expires and w2 runs the job; w1's late heartbeat gets 409, and w1 drops the job without
    // ever completing it.
    var lost = new CopyOnWriteArrayList<HourglassException>();
    var w1Interrupted = new CountDownLatch(1);
    var w1Completed = new AtomicInteger();
    started(
        worker("w1")
            .capacity(1)
            .lease(Duration.ofMillis(300))
            .heartbeatInterval(Duration.ofMillis(900))
            .handler(
                "slow",
                ctx -> {
                  try {
                    Thread.sleep(30_000);
                  } catch (InterruptedException e) {
                    w1Interrupted.countDown();
                    throw e;
                  }
                  return "w1 finished";
                })
            .listener(recording(lost, w1Completed)));
    String id = client.submit(JobRequest.builder("slow").backoff(Duration.ZERO).build()).jobId();
    await().atMost(WAIT).until(() -> client.job(id).state() == JobState.RUNNING);
    started(worker("w2").handler("slow", ctx -> "w2 finished"));
    await().atMost(WAIT).until(() -> client.job(id).state() == JobState.SUCCEEDED);
    await().atMost(WAIT).until(() -> !lost.isEmpty());
    assertThat(lost.get(0).status()).isEqualTo(409);
    assertThat(lost.get(0).code())
        .isIn(ErrorCode.STALE_GENERATION, ErrorCode.NOT_LEASE_HOLDER, ErrorCode.ILLEGAL_TRANSITION);
    await().atMost(WAIT).until(() -> w1Interrupted.getCount() == 0);
    Job job = client.job(id);
    assertThat(job.result()).isEqualTo("\"w2 finished\"");
    assertThat(job.attempts())
        .extracting(Job.Attempt::workerId, Job.Attempt::outcome)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("w1", "EXPIRED"),
            org.assertj.core.groups.Tuple.tuple("w2", "SUCCEEDED"));
    assertThat(w1Completed).hasValue(0);
  }

  @Test
  void successesThatFinishTogetherAreReportedInFewCalls() throws Exception {
    // Goal: 50 handlers finish at the same instant; the worker reports them through
    // jobs:complete in a handful of calls (one per round trip), never one call per job.
    String batched = "POST /api/v1/jobs:complete ";
    String single = "POST /api/v1/jobs/"; // complete, fail, heartbeat or release of one job
    try (var proxy = RequestCountingProxy.to(ts.url(), batched, single);
        var viaProxy = HourglassClient.builder(proxy.url()).build()) {
      var go = new CountDownLatch(1);
      Worker w =
          Worker.builder(viaProxy)
              .workerId("batcher")
              .capacity(50)
              .lease(Duration.ofSeconds(60))
              .pollWait(Duration.ofSeconds(1))
              .handler(
                  "wait",
                  ctx -> {
                    go.await();
                    return ctx.payloadAs(JsonNode.class);
                  })
              .build()
              .start();
      workers.add(w);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        ids.add(client.submit(JobRequest.builder("wait").payload(Map.of("i", i)).build()).jobId());
      }
      await().atMost(WAIT).until(() -> w.inFlight() == 50);
      go.countDown();
      await()
          .atMost(WAIT)
          .until(() -> ids.stream().allMatch(id -> client.job(id).state() == JobState.SUCCEEDED));
      assertThat(client.job(ids.get(31)).result()).isEqualTo("{\"i\":31}");
      assertThat(proxy.count(single)).as("single-job reports: " + proxy).isZero();
      assertThat(proxy.count(batched)).as("batched reports: " + proxy).isBetween(1, 10);
    }
  }

  @Test
  void aLateSuccessRefusedInsideABatchDropsTheJob() {
    // Goal: w1's handler outlives its 300 ms lease without heartbeating (interval 30 s) and
    // ignores interruption; w2 runs the job meanwhile. w1's success then goes out through
    // jobs:complete, the server refuses that item (stale generation), and w1 reports the job
    // as lost, never as completed.
    var lost = new CopyOnWriteArrayList<HourglassException>();
    var w1Completed = new AtomicInteger();
    var w2Ran = new CountDownLatch(1);
    started(
        worker("w1")
            .capacity(1)
            .lease(Duration.ofMillis(300))
            .heartbeatInterval(Duration.ofSeconds(30))
            .handler(
                "late",
                ctx -> {
                  while (w2Ran.getCount() > 0) {
                    try {
                      w2Ran.await();
                    } catch (InterruptedException ignored) {
                      // a handler that ignores interruption, as real code often does
                    }
                  }
                  return "w1 late";
                })
            .listener(recording(lost, w1Completed)));
    String id = client.submit(JobRequest.builder("late").backoff(Duration.ZERO).build()).jobId();
    await().atMost(WAIT).until(() -> client.job(id).state() == JobState.RUNNING);
    started(
        worker("w2")
            .handler(
                "late",
                ctx -> {
                  w2Ran.countDown();
                  return "w2 finished";
                }));
    await().atMost(WAIT).until(() -> !lost.isEmpty());
    assertThat(lost.get(0).status()).isEqualTo(409);
    assertThat(lost.get(0).code())
        .isIn(ErrorCode.STALE_GENERATION, ErrorCode.NOT_LEASE_HOLDER, ErrorCode.ILLEGAL_TRANSITION);
    await().atMost(WAIT).until(() -> client.job(id).state() == JobState.SUCCEEDED);
    assertThat(client.job(id).result()).isEqualTo("\"w2 finished\"");
    assertThat(w1Completed).hasValue(0);
  }

  @Test
  void gracefulShutdownFinishesShortJobsAndReleasesTheRest() {
    var started = new ConcurrentHashMap<String, Boolean>();
    var released = new CopyOnWriteArrayList<String>();
    Worker w =
        started(
            worker("w1")
                .handler(
                    "short",
                    ctx -> {
                      started.put(ctx.jobId(), true);
                      Thread.sleep(300);
                      return "done";
                    })
                .handler(
                    "endless",
                    ctx -> {
                      started.put(ctx.jobId(), true);
                      Thread.sleep(60_000);
                      return "never";
                    })
                .listener(
                    new WorkerListener() {
                      @Override
                      public void onReleased(JobContext ctx) {
                        released.add(ctx.jobId());
                      }
                    }));
    String shortJob = client.submit(JobRequest.builder("short").build()).jobId();
    String endless = client.submit(JobRequest.builder("endless").build()).jobId();
    await().atMost(WAIT).until(() -> started.size() == 2);
    assertThat(w.shutdown(Duration.ofSeconds(2))).isFalse();
    assertThat(released).containsExactly(endless);
    assertThat(client.job(shortJob).state()).isEqualTo(JobState.SUCCEEDED);
    Job back = client.job(endless);
    assertThat(back.state()).isEqualTo(JobState.READY);
    assertThat(back.failures()).isZero();
    // Its own parked poll may have been granted the released job once more: also given back.
    assertThat(back.attempts())
        .isNotEmpty()
        .allSatisfy(a -> assertThat(a.outcome()).isEqualTo("RELEASED"));
    assertThat(client.workers())
        .extracting(dev.hourglass.client.WorkerInfo::workerId)
        .doesNotContain("w1");
    assertThat(w.shutdown(Duration.ZERO)).isTrue(); // idempotent
  }

  @Test
  void anIdleWorkerLongPollsInsteadOfBusyPolling() throws Exception {
    // Goal: with nothing to do, a worker holds its two parked polls (no more); a submit wakes one
    // at once.
    started(worker("w1").pollWait(Duration.ofSeconds(30)).handler("t", ctx -> "ok"));
    await().atMost(WAIT).until(() -> parked() == 2);
    long t0 = System.nanoTime();
    String id = client.submit(JobRequest.builder("t").build()).jobId();
    await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(5))
        .until(() -> client.job(id).state() == JobState.SUCCEEDED);
    assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    await().atMost(WAIT).until(() -> parked() == 2);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> parked() == 2);
  }

  @Test
  void aWorkerKeepsASecondPollParkedWhileTheFirstOneTravels() throws Exception {
    // Goal: a job that becomes ready while one poll's answer travels back finds the other poll
    // parked. Both are there when idle; while one job runs, the other poll stays parked and a
    // second job is granted to it, so both run at once; the two polls never take more than the
    // capacity (three jobs start, the fourth waits).
    var running = new CountDownLatch(3);
    var release = new CountDownLatch(1);
    var started = new ConcurrentHashMap<String, Boolean>();
    started(
        worker("w1")
            .capacity(3)
            .pollWait(Duration.ofSeconds(30))
            .handler(
                "block",
                ctx -> {
                  started.put(ctx.jobId(), true);
                  running.countDown();
                  release.await();
                  return "ok";
                }));
    await().atMost(WAIT).until(() -> parked() == 2);
    String first = client.submit(JobRequest.builder("block").build()).jobId();
    await().atMost(WAIT).until(() -> started.containsKey(first));
    // One slot is taken: a poll for the two others is parked (the second poller's, or the first's
    // once it polled again).
    await().atMost(WAIT).until(() -> parked() >= 1);
    List<String> more = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      more.add(client.submit(JobRequest.builder("block").build()).jobId());
    }
    assertThat(running.await(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> started.size() == 3);
    assertThat(parked()).isZero(); // no free slot, so no poll
    release.countDown();
    await()
        .atMost(WAIT)
        .until(() -> more.stream().allMatch(id -> client.job(id).state() == JobState.SUCCEEDED));
  }

  @Test
  void aWorkerOfCapacityOneKeepsOnePoll() throws Exception {
    started(worker("w1").capacity(1).pollWait(Duration.ofSeconds(30)).handler("t", ctx -> "ok"));
    await().atMost(WAIT).until(() -> parked() == 1);
    await().during(Duration.ofMillis(300)).atMost(WAIT).until(() -> parked() == 1);
  }

  private long parked() throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    var r =
        http.send(
            java.net.http.HttpRequest.newBuilder(ts.server.uri().resolve("/api/v1/stats")).build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    return dev.hourglass.client.internal.Json.parse(r.body(), "stats")
        .path("parked_long_polls")
        .asLong();
  }

  @Test
  void aWorkerFacingAnOverloadedServerMakesBoundedAttemptsNotABusyLoop() throws Exception {
    // Goal: a server that refuses at once (503) is the worst case for a retry loop. With backoff
    // from 10 ms doubling to 80 ms, times a jitter factor in [0.5, 1], the sleeps are at least
    // 5 + 10 + 20 + 40 ms and then 40 ms each: at most 4 + 2000 / 40 = 54 requests in any 2 s
    // (without backoff it would be thousands). It keeps trying, and the sleeps differ (jitter).
    var requests = new AtomicInteger();
    var server =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext(
        "/",
        ex -> {
          requests.incrementAndGet();
          byte[] body =
              ("{\"type\":\"urn:hourglass:problem:overloaded\",\"title\":\"Unavailable\","
                      + "\"status\":503,\"detail\":\"overloaded\",\"code\":\"OVERLOADED\"}")
                  .getBytes();
          ex.getResponseHeaders().add("Content-Type", "application/problem+json");
          ex.sendResponseHeaders(503, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    server.start();
    var backoffs = new CopyOnWriteArrayList<Duration>();
    try (var overloaded =
        HourglassClient.builder("http://127.0.0.1:" + server.getAddress().getPort()).build()) {
      Worker w =
          Worker.builder(overloaded)
              .workerId("patient")
              .handler("t", ctx -> null)
              .backoff(Duration.ofMillis(10), Duration.ofMillis(80))
              .listener(
                  new WorkerListener() {
                    @Override
                    public void onServerUnreachable(HourglassException error, Duration backoff) {
                      backoffs.add(backoff);
                    }
                  })
              .build()
              .start();
      try {
        await()
            .during(Duration.ofSeconds(2))
            .atMost(Duration.ofSeconds(3))
            .until(() -> requests.get() <= 54);
      } finally {
        w.shutdown(Duration.ZERO);
        server.stop(0);
      }
    }
    assertThat(requests.get()).isBetween(10, 54 + 10); // + what ran during the shutdown
    assertThat(backoffs.subList(4, backoffs.size()))
        .allSatisfy(d -> assertThat(d).isBetween(Duration.ofMillis(40), Duration.ofMillis(80)));
    assertThat(backoffs.stream().skip(4).distinct().count()).isGreaterThan(1);
  }

  @Test
  void aWorkerBacksOffWithJitterWhileTheServerIsUnreachable() throws Exception {
    var backoffs = new CopyOnWriteArrayList<Duration>();
    try (var nowhere =
        HourglassClient.builder("http://127.0.0.1:1")
            .connectTimeout(Duration.ofMillis(500))
            .build()) {
      Worker w =
          Worker.builder(nowhere)
              .workerId("lonely")
              .handler("t", ctx -> null)
              .backoff(Duration.ofMillis(20), Duration.ofMillis(160))
              .listener(
                  new WorkerListener() {
                    @Override
                    public void onServerUnreachable(HourglassException error, Duration backoff) {
                      backoffs.add(backoff);
                    }
                  })
              .build()
              .start();
      await().atMost(WAIT).until(() -> backoffs.size() >= 6);
      w.shutdown(Duration.ZERO);
    }
    assertThat(backoffs.get(0)).isBetween(Duration.ofMillis(10), Duration.ofMillis(20));
    assertThat(backoffs.get(5)).isBetween(Duration.ofMillis(80), Duration.ofMillis(160));
    assertThat(client.jobs(JobQuery.all()).jobs()).isEmpty();
  }
}
