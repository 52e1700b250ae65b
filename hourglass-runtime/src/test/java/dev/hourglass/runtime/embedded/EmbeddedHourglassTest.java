package dev.hourglass.runtime.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.wal.DataDirectoryLockedException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded API on a real data directory with the real clock and fsync: what each call answers,
 * fencing, long polls and restarts. No assertion depends on how fast the machine is: waits are
 * generous bounds that pass at once when the behaviour is right.
 */
class EmbeddedHourglassTest {
  private static final Duration LEASE = Duration.ofMinutes(5);

  /** A bound on waits that should end at once; only a broken behaviour comes near it. */
  private static final long BOUND_SECONDS = 30;

  @TempDir Path dir;
  private EmbeddedHourglass hourglass;
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void tearDown() throws Exception {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
    if (hourglass != null) {
      hourglass.close();
    }
  }

  @Test
  void submittedJobIsLeasedCompletedAndReadBack() throws Exception {
    hourglass = EmbeddedHourglass.open(dir);
    String id = hourglass.submit(JobSpec.of(null, "email", "{\"to\":\"a@example.com\"}"));
    assertThat(hourglass.job(id).orElseThrow().state()).isEqualTo(JobState.READY);

    List<Assignment> got = hourglass.lease("w1", 10, List.of(), List.of(), LEASE, Duration.ZERO);
    assertThat(got).hasSize(1);
    Assignment a = got.get(0);
    assertThat(a.jobId()).isEqualTo(id);
    assertThat(a.workerId()).isEqualTo("w1");
    assertThat(a.generation()).isEqualTo(1);
    assertThat(a.task()).isEqualTo("email");
    assertThat(a.payload()).isEqualTo("{\"to\":\"a@example.com\"}");
    assertThat(a.redelivered()).isFalse();

    assertThat(hourglass.heartbeat(a, LEASE)).isAfter(a.leaseExpiresAt().minusMillis(1));
    assertThat(hourglass.complete(a, "{\"sent\":true}")).isEqualTo(JobState.SUCCEEDED);
    JobView done = hourglass.job(id).orElseThrow();
    assertThat(done.state()).isEqualTo(JobState.SUCCEEDED);
    assertThat(done.result()).isEqualTo("{\"sent\":true}");
    assertThat(hourglass.job("no-such-job")).isEmpty();
  }

  @Test
  void submitAllIsAtomicAndKeepsOrderAndIdempotencyKeys() throws Exception {
    hourglass = EmbeddedHourglass.open(dir);
    String first = hourglass.submit(JobSpec.of("a", "t", null).withIdempotencyKey("k1"));
    String parent = hourglass.newJobId();
    List<String> ids =
        hourglass.submitAll(
            List.of(
                JobSpec.of(parent, "t", null),
                JobSpec.of("child", "t", null).withDependsOn(List.of(parent)),
                JobSpec.of("again", "t", null).withIdempotencyKey("k1")));
    assertThat(ids).containsExactly(parent, "child", first);
    assertThat(hourglass.job("child").orElseThrow().state()).isEqualTo(JobState.PENDING);

    // One bad job refuses the whole batch: nothing of it is submitted.
    assertThatThrownBy(
            () ->
                hourglass.submitAll(
                    List.of(
                        JobSpec.of("fine", "t", null),
                        JobSpec.of("orphan", "t", null).withDependsOn(List.of("missing")))))
        .isInstanceOfSatisfying(
            CommandRefusedException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_PARENT));
    assertThat(hourglass.job("fine")).isEmpty();
  }

  @Test
  void parkedLeaseIsWokenBySubmit() throws Exception {
    // Goal: a lease that found nothing waits inside the loop, and a submit wakes it with the job
    // long before its wait ends (the wait is the longest allowed; the bound below is shorter).
    hourglass = EmbeddedHourglass.open(dir);
    CompletableFuture<List<Assignment>> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return hourglass.lease(
                    "w1", 1, List.of(), List.of(), LEASE, EmbeddedHourglass.LEASE_WAIT_MAX);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            },
            pool);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
    while (hourglass.parkedLeases() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(hourglass.parkedLeases()).as("the lease is parked").isEqualTo(1);
    assertThat(waiting).isNotDone();

    String id = hourglass.submit(JobSpec.of(null, "t", null));
    List<Assignment> got = waiting.get(BOUND_SECONDS, TimeUnit.SECONDS);
    assertThat(got).extracting(Assignment::jobId).containsExactly(id);
  }

  @Test
  void staleGenerationsReportIsRefusedWithItsCodeAndChangesNothing() throws Exception {
    hourglass = EmbeddedHourglass.open(dir);
    String id = hourglass.submit(JobSpec.of(null, "t", null));
    Assignment first = lease("w1");
    assertThat(hourglass.release(first)).isEqualTo(JobState.READY);
    Assignment second = lease("w2");
    assertThat(second.generation()).isEqualTo(first.generation() + 1);

    assertThatThrownBy(() -> hourglass.complete(first, "late"))
        .isInstanceOfSatisfying(
            CommandRefusedException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.STALE_GENERATION));
    assertThatThrownBy(() -> hourglass.complete(id, "w1", second.generation(), "not mine"))
        .isInstanceOfSatisfying(
            CommandRefusedException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_LEASE_HOLDER));
    JobView job = hourglass.job(id).orElseThrow();
    assertThat(job.state()).isEqualTo(JobState.RUNNING);
    assertThat(job.liveAttempt().workerId()).isEqualTo("w2");
    assertThat(job.result()).isNull();

    assertThat(hourglass.cancel(id, "no longer needed")).isEqualTo(JobState.CANCELLED);
    assertThatThrownBy(() -> hourglass.heartbeat(second, LEASE))
        .isInstanceOfSatisfying(
            CommandRefusedException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.CANCELLED));
  }

  @Test
  void failRetriesWhileAttemptsRemainThenDeadLetters() throws Exception {
    hourglass = EmbeddedHourglass.open(dir);
    String id = hourglass.submit(JobSpec.of(null, "t", null).withMaxAttempts(2));
    assertThat(hourglass.fail(lease("w1"), "flaky", true)).isEqualTo(JobState.FAILED);
    String other = hourglass.submit(JobSpec.of(null, "t", null));
    Assignment a = lease("w1");
    assertThat(a.jobId()).isEqualTo(other);
    assertThat(hourglass.fail(a, "bad input", false)).isEqualTo(JobState.DEAD);
    assertThat(hourglass.job(id).orElseThrow().failures()).isEqualTo(1);
  }

  @Test
  void restartOnTheSameDirectoryResumesExactly() throws Exception {
    // Goal: closing and reopening gives back the very state that was acknowledged (jobs and their
    // generations and attempts), and the lease that was running but never confirmed is owed to
    // its worker again, same generation.
    hourglass = EmbeddedHourglass.open(dir);
    String running = hourglass.submit(JobSpec.of("running", "t", "{}"));
    String done = hourglass.submit(JobSpec.of("done", "t", null));
    String waiting = hourglass.submit(JobSpec.of("waiting", "t", null).withPriority(-1));
    Assignment r = lease("w1");
    assertThat(r.jobId()).isEqualTo(running);
    Assignment d = lease("w2");
    hourglass.release(d);
    Assignment d2 = lease("w2");
    assertThat(d2.jobId()).isEqualTo(done);
    hourglass.complete(d2, "ok");
    Map<String, JobView> before = views(running, done, waiting);
    hourglass.close();

    hourglass = EmbeddedHourglass.open(dir);
    assertThat(views(running, done, waiting)).isEqualTo(before);
    List<Assignment> again = hourglass.lease("w1", 1, List.of(), List.of(), LEASE, Duration.ZERO);
    assertThat(again)
        .first()
        .satisfies(
            a -> {
              assertThat(a.jobId()).isEqualTo(running);
              assertThat(a.generation()).isEqualTo(r.generation());
              assertThat(a.redelivered()).isTrue();
              assertThat(a.leaseExpiresAt()).isEqualTo(r.leaseExpiresAt());
            });
    assertThat(hourglass.complete(again.get(0), null)).isEqualTo(JobState.SUCCEEDED);
    assertThat(hourglass.job(done).orElseThrow().generation()).isEqualTo(d2.generation());
  }

  @Test
  void assignmentsOwedAfterARestartAreAnsweredNoMoreThanMaxAtATime() throws Exception {
    // Goal: a worker that held three unconfirmed leases before a restart and polls for one job at
    // a time gets one at a time: the owed assignments count against max, the rest wait.
    hourglass = EmbeddedHourglass.open(dir);
    for (int i = 0; i < 4; i++) {
      hourglass.submit(JobSpec.of("j" + i, "t", null));
    }
    List<Assignment> held = hourglass.lease("w1", 3, List.of(), List.of(), LEASE, Duration.ZERO);
    assertThat(held).hasSize(3);
    hourglass.close();

    hourglass = EmbeddedHourglass.open(dir);
    List<String> seen = new ArrayList<>();
    for (int poll = 0; poll < 3; poll++) {
      List<Assignment> got = hourglass.lease("w1", 1, List.of(), List.of(), LEASE, Duration.ZERO);
      assertThat(got).as("poll %d", poll).hasSize(1);
      assertThat(got.getFirst().redelivered()).isTrue();
      seen.add(got.getFirst().jobId());
      hourglass.complete(got.getFirst(), null);
    }
    assertThat(seen)
        .containsExactlyInAnyOrderElementsOf(held.stream().map(Assignment::jobId).toList());
    List<Assignment> fresh = hourglass.lease("w1", 2, List.of(), List.of(), LEASE, Duration.ZERO);
    assertThat(fresh).extracting(Assignment::jobId).containsExactly("j3");
    assertThat(fresh.getFirst().redelivered()).isFalse();
  }

  @Test
  void theDataDirectoryIsLockedWhileOpen() throws Exception {
    hourglass = EmbeddedHourglass.open(dir);
    assertThatThrownBy(() -> EmbeddedHourglass.open(dir))
        .isInstanceOf(DataDirectoryLockedException.class);
  }

  @Test
  void badArgumentsAreRefusedBeforeAnythingIsLogged() throws Exception {
    hourglass = EmbeddedHourglass.open(dir);
    List<String> none = List.of();
    assertThatThrownBy(() -> hourglass.lease("w", 0, none, none, LEASE, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("max=0");
    assertThatThrownBy(() -> hourglass.lease("w", 1, none, none, LEASE, Duration.ofMinutes(2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("wait=PT2M");
    assertThatThrownBy(
            () -> hourglass.lease("w", 1, none, none, Duration.ofNanos(10), Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leaseDuration");
    assertThatThrownBy(() -> hourglass.submitAll(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> hourglass.submit(JobSpec.of("x", "t", null).withMaxAttempts(0)))
        .isInstanceOfSatisfying(
            CommandRefusedException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    hourglass.submit(JobSpec.of("x", "t", null));
    assertThatThrownBy(() -> hourglass.submit(JobSpec.of("x", "t", null)))
        .isInstanceOfSatisfying(
            CommandRefusedException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.DUPLICATE_JOB_ID));
    assertThatThrownBy(() -> hourglass.complete("nope", "w", 1, null))
        .isInstanceOfSatisfying(
            CommandRefusedException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_JOB));
  }

  @Test
  void callsAfterCloseAreRefusedAndCloseIsIdempotent() throws Exception {
    hourglass = EmbeddedHourglass.open(dir);
    hourglass.close();
    hourglass.close();
    assertThat(hourglass.healthy()).isFalse();
    assertThatThrownBy(() -> hourglass.submit(JobSpec.of(null, "t", null)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    hourglass = null;
  }

  @Test
  void closeAnswersAParkedLeaseEmpty() throws Exception {
    hourglass = EmbeddedHourglass.open(dir);
    CompletableFuture<List<Assignment>> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return hourglass.lease(
                    "w1", 1, List.of(), List.of(), LEASE, EmbeddedHourglass.LEASE_WAIT_MAX);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            },
            pool);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
    while (hourglass.parkedLeases() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    hourglass.close();
    assertThat(waiting.get(BOUND_SECONDS, TimeUnit.SECONDS)).isEmpty();
    hourglass = null;
  }

  private Assignment lease(String worker) throws InterruptedException {
    List<Assignment> got = hourglass.lease(worker, 1, List.of(), List.of(), LEASE, Duration.ZERO);
    assertThat(got).as("a job for %s", worker).hasSize(1);
    return got.get(0);
  }

  private Map<String, JobView> views(String... ids) {
    Map<String, JobView> out = new LinkedHashMap<>();
    for (String id : new ArrayList<>(List.of(ids))) {
      out.put(id, hourglass.job(id).orElseThrow());
    }
    return out;
  }
}
