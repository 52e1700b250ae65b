package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.worker.JobContext;
import dev.hourglass.client.worker.Worker;
import dev.hourglass.client.worker.WorkerListener;
import dev.hourglass.server.Auth;
import dev.hourglass.server.HourglassServerExtension;
import dev.hourglass.wal.FsyncPolicy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The SDK against a server with tokens: each role's calls, and clear refusals of the rest. */
class HourglassClientAuthTest {
  private static final String CLIENT = "client-secret-1";
  private static final String WORKER = "worker-secret-1";
  private static final String ADMIN = "admin-secret-1";

  @RegisterExtension
  final HourglassServerExtension server =
      HourglassServerExtension.withOptions(
          o ->
              o.withFsync(new FsyncPolicy.NeverUnsafeForTests())
                  .withAuth(
                      Auth.parse("client:" + CLIENT + ",worker:" + WORKER + ",admin:" + ADMIN)));

  HourglassClient asClient;
  HourglassClient asWorker;
  HourglassClient asAdmin;

  @BeforeEach
  void start() throws Exception {
    asClient = connect(CLIENT);
    asWorker = connect(WORKER);
    asAdmin = connect(ADMIN);
  }

  @AfterEach
  void stop() {
    asClient.close();
    asWorker.close();
    asAdmin.close();
  }

  private HourglassClient connect(String token) {
    return HourglassClient.builder(server.uri().toString()).token(token).build();
  }

  private static void refused(ThrowingCallable call, int status, String code, String detail) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            HourglassException.class,
            e -> {
              assertThat(e.status()).isEqualTo(status);
              assertThat(e.codeName()).isEqualTo(code);
              assertThat(e.code()).isEqualTo(ErrorCode.valueOf(code));
              assertThat(e.detail()).contains(detail);
              assertThat(e.getMessage()).startsWith("HTTP " + status + " " + code + ": ");
              assertThat(e.isTransient()).isFalse();
            });
  }

  @Test
  void aClientTokenSubmitsAndReadsButMayNotLeaseOrAdminister() {
    var s = asClient.submit(JobRequest.builder("t").queue("q").build());
    assertThat(asClient.job(s.jobId()).state()).isEqualTo(JobState.READY);
    assertThat(asClient.jobs(JobQuery.all()).jobs()).hasSize(1);

    String needsWorker = "role client may not make this call";
    refused(
        () -> asClient.lease("w1", 1, Duration.ZERO, List.of(), Duration.ZERO),
        403,
        "FORBIDDEN",
        needsWorker);
    refused(() -> asClient.pauseQueue("q"), 403, "FORBIDDEN", needsWorker);
    refused(() -> asClient.setQueueLimit("q", 1), 403, "FORBIDDEN", "nothing was applied");
    refused(() -> asClient.redrive(s.jobId()), 403, "FORBIDDEN", "nothing was applied");
    assertThat(asAdmin.queues())
        .singleElement()
        .satisfies(
            q -> {
              assertThat(q.paused()).isFalse();
              assertThat(q.maxRunning()).isZero();
            });
    assertThat(asAdmin.job(s.jobId()).state()).isEqualTo(JobState.READY);
  }

  @Test
  void aWorkerTokenLeasesAndReportsButMayNotSubmit() {
    String id = asClient.submit(JobRequest.builder("t").build()).jobId();
    var got = asWorker.lease("w1", 5, Duration.ofSeconds(1), List.of(), Duration.ZERO);
    assertThat(got).singleElement().satisfies(a -> assertThat(a.jobId()).isEqualTo(id));
    assertThat(asWorker.heartbeat(id, "w1", 1, Duration.ZERO)).isNotNull();
    assertThat(asWorker.complete(id, "w1", 1, "done")).isEqualTo(JobState.SUCCEEDED);
    assertThat(asWorker.workers()).extracting(WorkerInfo::workerId).containsExactly("w1");
    refused(
        () -> asWorker.submit(JobRequest.builder("t").build()),
        403,
        "FORBIDDEN",
        "role worker may not make this call");
    assertThat(asAdmin.counts().get(JobState.SUCCEEDED)).isEqualTo(1);
    assertThat(asAdmin.jobs(JobQuery.all()).jobs()).hasSize(1);
  }

  @Test
  void aMissingOrUnknownTokenIs401NamedInTheMessage() {
    try (var anonymous = connect(null);
        var wrong = connect("not-a-real-token")) {
      refused(
          () -> anonymous.submit(JobRequest.builder("t").build()),
          401,
          "UNAUTHORIZED",
          "missing bearer token");
      refused(() -> anonymous.jobs(JobQuery.all()), 401, "UNAUTHORIZED", "missing bearer token");
      refused(
          () -> wrong.submit(JobRequest.builder("t").build()),
          401,
          "UNAUTHORIZED",
          "unknown bearer token");
      refused(
          () -> wrong.lease("w1", 1, Duration.ZERO, List.of(), Duration.ZERO),
          401,
          "UNAUTHORIZED",
          "unknown bearer token");
      assertThat(anonymous.ready()).isTrue(); // /readyz needs no token, for load balancers
    }
    assertThat(asAdmin.jobs(JobQuery.all()).jobs()).isEmpty();
  }

  @Test
  void anAdminTokenRedrivesADeadJobAndAdministersQueuesAndSchedules() {
    String id = asClient.submit(JobRequest.builder("t").maxAttempts(1).build()).jobId();
    var a = asWorker.lease("w1", 1, Duration.ofSeconds(1), List.of(), Duration.ZERO).get(0);
    assertThat(asWorker.fail(id, "w1", a.generation(), "boom", true)).isEqualTo(JobState.DEAD);
    assertThat(asClient.deadLetters(10)).extracting(Job::jobId).containsExactly(id);

    assertThat(asAdmin.redrive(id)).isEqualTo(JobState.READY);
    assertThat(asClient.job(id).state()).isEqualTo(JobState.READY);
    assertThat(asAdmin.pauseQueue("default").paused()).isTrue();
    assertThat(asAdmin.setQueueLimit("default", 3).maxRunning()).isEqualTo(3);
    asAdmin.createSchedule(JobRequest.builder("r").cron("0 3 * * *").scheduleId("s").build());
    assertThat(asAdmin.pauseSchedule("s").paused()).isTrue();
    refused(() -> asClient.deleteSchedule("s"), 403, "FORBIDDEN", "role client");
    asAdmin.deleteSchedule("s");
    assertThat(asClient.schedules()).isEmpty();
  }

  @Test
  void aWorkerGivenAClientTokenReportsTheRefusalAndLeasesNothing() {
    // Goal: a misconfigured worker says why it gets nothing, and keeps backing off.
    String id = asClient.submit(JobRequest.builder("t").build()).jobId();
    var refusals = new CopyOnWriteArrayList<HourglassException>();
    Worker w =
        Worker.builder(asClient)
            .workerId("misconfigured")
            .handler("t", ctx -> "ran")
            .backoff(Duration.ofMillis(10), Duration.ofMillis(50))
            .listener(
                new WorkerListener() {
                  @Override
                  public void onServerUnreachable(HourglassException error, Duration backoff) {
                    refusals.add(error);
                  }

                  @Override
                  public void onLeased(JobContext ctx) {
                    throw new AssertionError("a client token leased " + ctx.jobId());
                  }
                })
            .build()
            .start();
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> refusals.size() >= 3);
    } finally {
      w.shutdown(Duration.ZERO);
    }
    assertThat(refusals)
        .allSatisfy(
            e -> {
              assertThat(e.status()).isEqualTo(403);
              assertThat(e.getMessage()).contains("FORBIDDEN").contains("role client");
            });
    assertThat(asAdmin.job(id).state()).isEqualTo(JobState.READY);
    assertThat(asAdmin.workers()).isEmpty();
  }
}
