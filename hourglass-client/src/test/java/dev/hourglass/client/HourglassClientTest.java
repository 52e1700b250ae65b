package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HourglassClientTest {
  @TempDir Path dir;
  TestServer ts;
  HourglassClient client;

  @BeforeEach
  void start() throws Exception {
    ts = TestServer.start(dir);
    client = ts.client;
  }

  @AfterEach
  void stop() {
    ts.close();
  }

  @Test
  void submitsWithEveryOptionAndReadsTheJobBack() {
    Instant deadline = Instant.parse("2030-01-01T00:00:00Z");
    var s =
        client.submit(
            JobRequest.builder("send-email")
                .payload(Map.of("to", "a@b.c"))
                .queue("mail")
                .priority(7)
                .deadline(deadline)
                .delay(Duration.ofHours(1))
                .maxAttempts(5)
                .backoff(Duration.ofSeconds(2))
                .backoffMax(Duration.ofMinutes(1))
                .timeout(Duration.ofSeconds(30))
                .idempotencyKey("welcome-42")
                .build());
    assertThat(s.state()).isEqualTo(JobState.SCHEDULED);
    assertThat(s.deduplicated()).isFalse();

    Job job = client.job(s.jobId());
    assertThat(job.task()).isEqualTo("send-email");
    assertThat(job.queue()).isEqualTo("mail");
    assertThat(job.priority()).isEqualTo(7);
    assertThat(job.deadline()).isEqualTo(deadline);
    assertThat(job.maxAttempts()).isEqualTo(5);
    assertThat(job.payload()).isEqualTo("{\"to\":\"a@b.c\"}");
    assertThat(job.idempotencyKey()).isEqualTo("welcome-42");
    assertThat(job.runAt()).isAfter(Instant.now().plus(Duration.ofMinutes(59)));

    var again =
        client.submit(
            JobRequest.builder("send-email")
                .payloadJson("{\"to\":\"x\"}")
                .idempotencyKey("welcome-42")
                .build());
    assertThat(again.deduplicated()).isTrue();
    assertThat(again.jobId()).isEqualTo(s.jobId());
  }

  @Test
  void batchBuildsADagAndListingFiltersAndPages() {
    var out =
        client.submitBatch(
            List.of(
                JobRequest.builder("etl").jobId("extract").build(),
                JobRequest.builder("etl").jobId("transform").dependsOn("extract").build(),
                JobRequest.builder("etl").jobId("load").dependsOn(List.of("transform")).build(),
                JobRequest.builder("other").queue("q2").build()));
    assertThat(out)
        .extracting(Submitted::state)
        .containsExactly(JobState.READY, JobState.PENDING, JobState.PENDING, JobState.READY);

    assertThat(client.jobs(JobQuery.all().withState(JobState.PENDING)).jobs())
        .extracting(Job::jobId)
        .containsExactlyInAnyOrder("transform", "load");
    assertThat(client.jobs(JobQuery.all().withQueue("q2")).jobs()).hasSize(1);
    assertThat(client.jobs(JobQuery.all().withTask("etl")).jobs()).hasSize(3);

    JobPage first = client.jobs(JobQuery.all().withLimit(3));
    assertThat(first.jobs()).hasSize(3);
    assertThat(first.nextCursor()).isNotNull();
    JobPage second = client.jobs(JobQuery.all().withLimit(3).withCursor(first.nextCursor()));
    assertThat(second.jobs()).hasSize(1);
    assertThat(second.nextCursor()).isNull();

    assertThat(client.cancel("extract", "not needed")).isEqualTo(JobState.CANCELLED);
    assertThat(client.job("load").state()).isEqualTo(JobState.CANCELLED);
    assertThat(client.counts().get(JobState.CANCELLED)).isEqualTo(3);
  }

  @Test
  void refusalsCarryTheProblemFields() {
    assertThatThrownBy(() -> client.job("nope"))
        .isInstanceOfSatisfying(
            HourglassException.class,
            e -> {
              assertThat(e.status()).isEqualTo(404);
              assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_JOB);
              assertThat(e.is(ErrorCode.UNKNOWN_JOB)).isTrue();
              assertThat(e.codeName()).isEqualTo("UNKNOWN_JOB");
              assertThat(e.detail()).contains("nope");
            });
    assertThatThrownBy(
            () -> client.createSchedule(JobRequest.builder("t").cron("not cron").build()))
        .isInstanceOfSatisfying(
            HourglassException.class, e -> assertThat(e.status()).isEqualTo(400));
    assertThatThrownBy(() -> client.submit(JobRequest.builder("t").dependsOn("missing").build()))
        .isInstanceOfSatisfying(
            HourglassException.class,
            e -> {
              assertThat(e.status()).isEqualTo(422);
              assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_PARENT);
            });
    assertThatThrownBy(() -> JobRequest.builder("t").payloadJson("{oops"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not valid JSON");
    assertThatThrownBy(() -> client.submit(JobRequest.builder("t").cron("* * * * *").build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("createSchedule");
  }

  @Test
  void anUnreachableServerIsStatusZero() {
    try (var dead =
        HourglassClient.builder("http://127.0.0.1:1")
            .connectTimeout(Duration.ofSeconds(1))
            .build()) {
      assertThatThrownBy(dead::workers)
          .isInstanceOfSatisfying(
              HourglassException.class,
              e -> {
                assertThat(e.status()).isEqualTo(HourglassException.STATUS_UNREACHABLE);
                assertThat(e.isTransient()).isTrue();
              });
      assertThat(dead.ready()).isFalse();
    }
  }

  @Test
  void leaseCompleteTwiceIsHarmlessAndAStaleGenerationIsRefused() {
    var s = client.submit(JobRequest.builder("t").build());
    var got = client.lease("w1", 10, Duration.ofSeconds(1), List.of(), Duration.ZERO);
    assertThat(got)
        .singleElement()
        .satisfies(
            a -> {
              assertThat(a.jobId()).isEqualTo(s.jobId());
              assertThat(a.generation()).isEqualTo(1);
            });
    assertThat(client.heartbeat(s.jobId(), "w1", 1, Duration.ofSeconds(5)))
        .isAfter(Instant.now().plusSeconds(3));
    assertThat(client.complete(s.jobId(), "w1", 1, Map.of("ok", true)))
        .isEqualTo(JobState.SUCCEEDED);
    assertThat(client.complete(s.jobId(), "w1", 1, Map.of("ok", true)))
        .isEqualTo(JobState.SUCCEEDED);
    assertThat(client.job(s.jobId()).result()).isEqualTo("{\"ok\":true}");
    assertThatThrownBy(() -> client.complete(s.jobId(), "w2", 1, null))
        .isInstanceOfSatisfying(HourglassException.class, e -> assertThat(e.isConflict()).isTrue());
  }

  @Test
  void aRoundRobinLeaseAlternatesBetweenQueuesAndAFairnessKeyIsSent() {
    client.registerWorker("w1", 10, List.of(), Duration.ofMinutes(5));
    for (int i = 0; i < 3; i++) {
      client.submit(JobRequest.builder("t").queue("qa").fairnessKey("tenant-a").build());
    }
    for (int i = 0; i < 3; i++) {
      client.submit(JobRequest.builder("t").queue("qb").build());
    }
    List<String> queues = new java.util.ArrayList<>();
    for (int i = 0; i < 4; i++) {
      for (var a :
          client.lease(
              "w1",
              1,
              Duration.ZERO,
              List.of("qa", "qb"),
              Duration.ZERO,
              List.of(),
              LeaseStrategy.ROUND_ROBIN)) {
        queues.add(a.queue());
      }
    }
    assertThat(queues).containsExactly("qa", "qb", "qa", "qb");
    assertThatThrownBy(() -> client.submit(JobRequest.builder("t").fairnessKey("").build()))
        .isInstanceOfSatisfying(
            HourglassException.class, e -> assertThat(e.getMessage()).contains("fairness_key"));
  }

  @Test
  void queueLimitsAndFairnessAreSetThroughTheClientAndTakeEffect() {
    // Goal: the SDK's limits and fairness calls reach the server, answer the policy, and change
    // what leases give; bad values fail in the client before any request.
    QueuePolicy limited =
        client.setQueueLimits(
            "shared",
            QueueLimits.NONE.withWeight(3).withRate(new java.math.BigDecimal("10")).withBurst(5));
    assertThat(limited.weight()).isEqualTo(3);
    assertThat(limited.ratePerSecond()).isEqualTo(10.0);
    assertThat(limited.burst()).isEqualTo(5);

    for (int i = 0; i < 4; i++) {
      client.submit(
          JobRequest.builder("t").queue("shared").fairnessKey("big").jobId("big-" + i).build());
    }
    client.submit(
        JobRequest.builder("t").queue("shared").fairnessKey("small").jobId("small-0").build());
    QueuePolicy fair = client.setQueueFairness("shared", Fairness.ROUND_ROBIN, Map.of("big", 2));
    assertThat(fair.fairness()).isEqualTo("round_robin");
    assertThat(fair.keyWeights()).containsExactly(Map.entry("big", 2));
    assertThat(fair.activeKeys()).isEqualTo(2);
    client.registerWorker("w1", 10, List.of(), Duration.ofMinutes(5));
    List<String> ids = new java.util.ArrayList<>();
    for (var a : client.lease("w1", 3, Duration.ZERO, List.of("shared"), Duration.ZERO)) {
      ids.add(a.jobId());
    }
    assertThat(ids).containsExactly("big-0", "big-1", "small-0"); // big's two per turn, then small

    assertThat(
            client.setQueueLimits("shared", QueueLimits.NONE.withRate(java.math.BigDecimal.ZERO)))
        .satisfies(p -> assertThat(p.ratePerSecond()).isNull());
    assertThat(client.setQueueFairness("shared", Fairness.NONE, Map.of()).fairness())
        .isEqualTo("none");

    assertThatThrownBy(() -> QueueLimits.NONE.withWeight(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight 0 is outside [1, 10000]");
    assertThatThrownBy(() -> QueueLimits.NONE.withRate(new java.math.BigDecimal("0.0001")))
        .hasMessageContaining("steps of 0.001");
    assertThatThrownBy(() -> client.setQueueLimits("shared", QueueLimits.NONE.withBurst(5)))
        .hasMessageContaining("burst 5 needs a rate");
    assertThatThrownBy(() -> client.setQueueLimits("shared", QueueLimits.NONE))
        .hasMessageContaining("at least one");
    assertThatThrownBy(() -> client.setQueueFairness("shared", Fairness.NONE, Map.of("gold", 2)))
        .hasMessageContaining("need fairness round_robin");
    assertThatThrownBy(
            () -> client.setQueueFairness("shared", Fairness.ROUND_ROBIN, Map.of("gold", 1001)))
        .hasMessageContaining("weight 1001 of key gold is outside [1, 1000]");
    assertThat(client.queuePolicies())
        .filteredOn(p -> p.queue().equals("shared"))
        .singleElement()
        .satisfies(p -> assertThat(p.weight()).isEqualTo(3))
        .satisfies(p -> assertThat(p.fairness()).isEqualTo("none"));
  }

  @Test
  void taskLimitsAreSetThroughTheClientAndTakeEffect() {
    // Goal: a task type's rate limit and burst reach the server, answer the task's limits, and
    // hold back leases; bad values, and a weight, fail in the client before any request.
    TaskLimit limited =
        client.setTaskLimits(
            "t",
            QueueLimits.NONE.withMaxRunning(5).withRate(java.math.BigDecimal.ONE).withBurst(1));
    assertThat(limited).isEqualTo(new TaskLimit("t", 5, 0, 1.0, 1));
    client.submit(JobRequest.builder("t").jobId("t-0").build());
    client.submit(JobRequest.builder("t").jobId("t-1").build());
    client.registerWorker("w1", 10, List.of(), Duration.ofMinutes(5));
    // One lease is one command with one timestamp: the bucket holds its burst of 1, whatever the
    // time since the limit was set, so the second job waits for the next token.
    assertThat(client.lease("w1", 2, Duration.ZERO, List.of(), Duration.ZERO)).hasSize(1);

    assertThat(client.setTaskLimits("t", QueueLimits.NONE.withRate(java.math.BigDecimal.ZERO)))
        .isEqualTo(new TaskLimit("t", 5, 1, null, null));
    assertThat(client.lease("w1", 2, Duration.ZERO, List.of(), Duration.ZERO)).hasSize(1);

    assertThatThrownBy(() -> client.setTaskLimits("t", QueueLimits.NONE.withWeight(3)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("weight 3 is a queue's share");
    assertThatThrownBy(() -> client.setTaskLimits("t", QueueLimits.NONE.withBurst(5)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("burst 5 needs a rate");
    assertThatThrownBy(() -> client.setTaskLimits("t", QueueLimits.NONE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("task limits need at least one of max running, rate");
  }

  @Test
  void taskLimitsListEveryTaskTypeWithALimitByName() {
    assertThat(client.taskLimits()).isEmpty();
    client.setTaskLimit("resize", 3);
    client.setTaskLimits(
        "email", QueueLimits.NONE.withRate(java.math.BigDecimal.valueOf(2.5)).withBurst(4));
    assertThat(client.taskLimits())
        .containsExactly(
            new TaskLimit("email", 0, 0, 2.5, 4), new TaskLimit("resize", 3, 0, null, null));
    client.setTaskLimit("resize", 0);
    assertThat(client.taskLimits()).containsExactly(new TaskLimit("email", 0, 0, 2.5, 4));
  }

  @Test
  void completeAllAppliesEachCompletionOnItsOwnAndRefusesAStaleOne() {
    for (int i = 0; i < 3; i++) {
      client.submit(JobRequest.builder("t").jobId("c" + i).build());
    }
    var got = client.lease("w1", 3, Duration.ofSeconds(1), List.of(), Duration.ZERO);
    assertThat(got).hasSize(3);
    var results =
        client.completeAll(
            "w1",
            List.of(
                new Completion("c0", 1, Map.of("n", 0)),
                new Completion("c1", 7, null), // not this lease's generation
                new Completion("c2", 1, null)));
    assertThat(results).extracting(CompletionResult::jobId).containsExactly("c0", "c1", "c2");
    assertThat(results).extracting(CompletionResult::applied).containsExactly(true, false, true);
    assertThat(results.get(1).code()).isIn(ErrorCode.STALE_GENERATION, ErrorCode.NOT_LEASE_HOLDER);
    assertThat(results.get(0).code()).isNull();
    assertThat(results.get(1).state()).isNull();
    assertThat(results.get(1).detail()).contains("c1");
    assertThat(client.job("c0").result()).isEqualTo("{\"n\":0}");
    assertThat(client.job("c1").state()).isEqualTo(JobState.RUNNING);
    assertThat(client.job("c2").state()).isEqualTo(JobState.SUCCEEDED);
    assertThatThrownBy(() -> client.completeAll("w1", List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void schedulesQueuesWorkersAndDeadLetters() {
    var sched =
        client.createSchedule(
            JobRequest.builder("report")
                .cron("0 3 * * *")
                .timeZone("Europe/Berlin")
                .scheduleId("nightly")
                .overlap(Schedule.Overlap.SKIP)
                .catchUp(Schedule.CatchUp.EACH_WITHIN_WINDOW)
                .build());
    assertThat(sched.scheduleId()).isEqualTo("nightly");
    assertThat(sched.overlap()).isEqualTo(Schedule.Overlap.SKIP);
    assertThat(sched.catchUp()).isEqualTo(Schedule.CatchUp.EACH_WITHIN_WINDOW);
    assertThat(sched.nextFireAt()).isNotNull();
    assertThat(client.pauseSchedule("nightly").paused()).isTrue();
    assertThat(client.resumeSchedule("nightly").paused()).isFalse();
    assertThat(client.schedules()).extracting(Schedule::scheduleId).containsExactly("nightly");
    client.deleteSchedule("nightly");
    assertThat(client.schedules()).isEmpty();

    client.submit(JobRequest.builder("t").queue("q").maxAttempts(1).build());
    assertThat(client.pauseQueue("q").paused()).isTrue();
    assertThat(client.lease("w1", 1, Duration.ZERO, List.of("q"), Duration.ZERO)).isEmpty();
    assertThat(client.resumeQueue("q").paused()).isFalse();
    assertThat(client.setQueueLimit("q", 2).maxRunning()).isEqualTo(2);
    client.setTaskLimit("t", 1);
    assertThat(client.queues()).extracting(QueueInfo::queue).contains("q");

    var w = client.registerWorker("w1", 3, List.of("q"), Duration.ofSeconds(30));
    assertThat(w.capacity()).isEqualTo(3);
    var a = client.lease("w1", 1, Duration.ZERO, List.of("q"), Duration.ZERO).get(0);
    assertThat(client.fail(a.jobId(), "w1", a.generation(), "boom", true)).isEqualTo(JobState.DEAD);
    assertThat(client.deadLetters(10)).extracting(Job::jobId).containsExactly(a.jobId());
    assertThat(client.redrive(a.jobId())).isEqualTo(JobState.READY);
    assertThat(client.workers()).singleElement().satisfies(x -> assertThat(x.alive()).isTrue());
    assertThat(client.workerHeartbeat("w1").workerId()).isEqualTo("w1");
    client.deregisterWorker("w1");
    assertThat(client.workers()).isEmpty();
  }

  @Test
  void followsTemporaryRedirectsWithMethodBodyAndToken() throws Exception {
    // Goal: a cluster follower answering 307 to the leader is transparent to callers.
    HttpServer follower = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    follower.createContext(
        "/",
        ex -> {
          ex.getResponseHeaders().add("Location", ts.url() + ex.getRequestURI());
          ex.sendResponseHeaders(307, -1);
          ex.close();
        });
    follower.start();
    try (var viaFollower =
        HourglassClient.builder("http://127.0.0.1:" + follower.getAddress().getPort())
            .token("ignored-without-auth")
            .build()) {
      var s = viaFollower.submit(JobRequest.builder("t").jobId("redirected").build());
      assertThat(s.jobId()).isEqualTo("redirected");
      assertThat(viaFollower.job("redirected").state()).isEqualTo(JobState.READY);
    } finally {
      follower.stop(0);
    }
  }

  @Test
  void replicasRedirectingToEachOtherAreWaitedOutUntilTheFailoverTimeout() throws Exception {
    // Goal: during an election replicas may point at each other for a moment; that costs the
    // caller a pause, not an error. A loop that never ends fails once the failover timeout passed.
    AtomicInteger loopRedirects = new AtomicInteger();
    AtomicInteger loopLength = new AtomicInteger(3 * HourglassClient.REDIRECTS_MAX);
    AtomicBoolean forever = new AtomicBoolean();
    HttpServer a = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    HttpServer b = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    String aUrl = "http://127.0.0.1:" + a.getAddress().getPort();
    String bUrl = "http://127.0.0.1:" + b.getAddress().getPort();
    a.createContext(
        "/",
        ex -> {
          boolean looping = forever.get() || loopRedirects.incrementAndGet() <= loopLength.get();
          String to = looping ? bUrl : ts.url();
          ex.getResponseHeaders().add("Location", to + ex.getRequestURI());
          ex.sendResponseHeaders(307, -1);
          ex.close();
        });
    b.createContext(
        "/",
        ex -> {
          loopRedirects.incrementAndGet();
          ex.getResponseHeaders().add("Location", aUrl + ex.getRequestURI());
          ex.sendResponseHeaders(307, -1);
          ex.close();
        });
    a.start();
    b.start();
    try {
      try (var viaLoop =
          HourglassClient.builder(aUrl + "," + bUrl)
              .failoverTimeout(Duration.ofSeconds(30))
              .build()) {
        var s = viaLoop.submit(JobRequest.builder("t").jobId("after-the-loop").build());
        assertThat(s.jobId()).isEqualTo("after-the-loop");
        assertThat(loopRedirects.get()).isGreaterThan(2 * HourglassClient.REDIRECTS_MAX);
      }
      forever.set(true);
      try (var viaLoop =
          HourglassClient.builder(aUrl + "," + bUrl)
              .failoverTimeout(Duration.ofMillis(300))
              .build()) {
        long start = System.nanoTime();
        assertThatThrownBy(() -> viaLoop.submit(JobRequest.builder("t").jobId("never").build()))
            .isInstanceOfSatisfying(
                HourglassException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.TOO_MANY_REDIRECTS));
        assertThat(Duration.ofNanos(System.nanoTime() - start))
            .isGreaterThanOrEqualTo(Duration.ofMillis(300));
      }
      assertThat(client.job("after-the-loop").state()).isEqualTo(JobState.READY);
      assertThatThrownBy(() -> client.job("never")).isInstanceOf(HourglassException.class);
    } finally {
      a.stop(0);
      b.stop(0);
    }
  }
}
