package dev.hourglass.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.RateLimit;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine loop on this node's own log, with no HTTP in sight: what it answers, and the refusals
 * a shell maps to its own protocol. Time is manual (a deadline passes only when a test moves it),
 * so nothing here depends on the machine's speed.
 */
class EngineLoopTest {
  private static final long T0 = 1_700_000_000_000L;

  /** Wall and monotonic time that move only when a test says so. */
  static final class ManualTime implements TimeSource {
    final AtomicLong wall = new AtomicLong(T0);
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    @Override
    public long wallMillis() {
      return wall.get();
    }

    @Override
    public long monotonicNanos() {
      return nanos.get();
    }
  }

  /** Counts what the loop reports. */
  static final class RecordingListener implements EngineLoopListener {
    final AtomicInteger batches = new AtomicInteger();
    final AtomicInteger events = new AtomicInteger();

    @Override
    public void batchApplied(int commands, long nanos) {
      batches.incrementAndGet();
    }

    @Override
    public void events(List<Event> applied, long nowMillis) {
      events.addAndGet(applied.size());
    }
  }

  @TempDir Path dir;
  final ManualTime time = new ManualTime();
  final RecordingListener listener = new RecordingListener();
  LocalBackend backend;
  EngineLoop loop;

  @BeforeEach
  void start() throws Exception {
    backend =
        new LocalBackend(
            DurableEngine.open(dir, EngineConfig.DEFAULTS, new FsyncPolicy.NeverUnsafeForTests()));
    loop = new EngineLoop(backend, LoopLimits.DEFAULTS, listener, time);
    loop.start();
  }

  @AfterEach
  void stop() throws Exception {
    loop.close();
    backend.close();
  }

  private static <T> T get(CompletableFuture<T> f) throws Exception {
    return f.get(30, TimeUnit.SECONDS);
  }

  @Test
  void aParkedLeaseIsAnsweredWithTheJobSubmittedWhileItWaits() throws Exception {
    var lease = loop.lease("w1", 1, List.of(), List.of(), 30_000, 60_000);
    // The lease is parked once the loop answered a read queued after it.
    get(loop.read(q -> null));
    assertThat(lease).isNotDone();
    Outcome submitted =
        get(loop.write(new Command.SubmitJob(T0, JobSpec.of("j1", "t", "{}")), 0, (o, q) -> o));
    assertThat(submitted).isInstanceOf(Outcome.Applied.class);
    List<EngineLoop.Assignment> granted = get(lease);
    assertThat(granted).extracting(EngineLoop.Assignment::jobId).containsExactly("j1");
    assertThat(granted.getFirst().redelivered()).isFalse();
    assertThat(listener.batches.get()).isGreaterThanOrEqualTo(2);
    assertThat(listener.events.get()).isPositive();
  }

  /**
   * Two jobs become READY in one command, one for each of two parked polls: the first poll may take
   * up to eight jobs, so counting it as taking eight once used up the two grantable jobs and left
   * the second poll parked until its deadline next to a job it could run.
   */
  @Test
  void eachParkedLeaseGetsTheJobOfItsQueueWhenBothBecomeReadyTogether() throws Exception {
    var wide = loop.lease("w1", 8, List.of("a"), List.of(), 30_000, 60_000);
    var narrow = loop.lease("w2", 1, List.of("b"), List.of(), 30_000, 60_000);
    get(loop.read(q -> null));
    assertThat(wide).isNotDone();
    assertThat(narrow).isNotDone();
    get(
        loop.write(
            new Command.SubmitJobs(
                T0,
                List.of(
                    JobSpec.of("ja", "t", "{}").withQueue("a"),
                    JobSpec.of("jb", "t", "{}").withQueue("b"))),
            0,
            (o, q) -> o));
    assertThat(get(wide)).extracting(EngineLoop.Assignment::jobId).containsExactly("ja");
    // Manual time never reaches the 60 s deadline: only a wake-up can answer this poll.
    assertThat(narrow.get(20, TimeUnit.SECONDS))
        .extracting(EngineLoop.Assignment::jobId)
        .containsExactly("jb");
  }

  /**
   * Goal: a poll held back only by a rate limit parks without writing anything (no command is
   * applied however often the loop turns), and is granted once the wall clock reaches the time its
   * next token is due, with no other command to wake it.
   */
  @Test
  void aRateLimitedPollParksWithoutWritingAndIsGrantedWhenItsTokenIsDue() throws Exception {
    get(loop.write(new Command.SetQueueRate(T0, "slow", new RateLimit(1_000, 1)), 0, (o, q) -> o));
    get(
        loop.write(
            new Command.SubmitJobs(
                T0,
                List.of(
                    JobSpec.of("j1", "t", "{}").withQueue("slow"),
                    JobSpec.of("j2", "t", "{}").withQueue("slow"))),
            0,
            (o, q) -> o));
    assertThat(get(loop.lease("w1", 1, List.of("slow"), List.of(), 30_000, 0)))
        .extracting(EngineLoop.Assignment::jobId)
        .containsExactly("j1");
    var held = loop.lease("w2", 1, List.of("slow"), List.of(), 30_000, 60_000);
    get(loop.read(q -> null));
    int batches = listener.batches.get();
    time.wall.addAndGet(999);
    for (int i = 0; i < 5; i++) {
      get(loop.read(q -> null));
    }
    assertThat(held).isNotDone();
    assertThat(listener.batches.get())
        .as("commands applied while the token was not due")
        .isEqualTo(batches);
    time.wall.addAndGet(1);
    get(loop.read(q -> null)); // a turn at the time the token is due
    assertThat(held.get(20, TimeUnit.SECONDS))
        .extracting(EngineLoop.Assignment::jobId)
        .containsExactly("j2");
  }

  @Test
  void aParkedLeaseEndsEmptyWhenItsDeadlinePasses() throws Exception {
    var lease = loop.lease("w1", 1, List.of(), List.of(), 30_000, 5_000);
    get(loop.read(q -> null));
    assertThat(lease).isNotDone();
    time.nanos.addAndGet(Duration.ofSeconds(6).toNanos());
    get(loop.read(q -> null)); // a turn after the deadline
    assertThat(get(lease)).isEmpty();
  }

  @Test
  void anEngineRefusalOfALeaseIsRejectedWithItsCode() {
    var lease = loop.lease("w1", 0, List.of(), List.of(), 30_000, 0);
    assertThatThrownBy(() -> get(lease))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            EngineLoopException.Rejected.class,
            r -> assertThat(r.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
  }

  @Test
  void aSignalPollForAnUnknownWorkerIsRejectedAsUnknownWorker() {
    var signals = new LeaseSignals(loop);
    var poll = signals.await("nobody", List.of(), 1_000);
    assertThatThrownBy(() -> get(poll))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOfSatisfying(
            EngineLoopException.Rejected.class,
            r -> assertThat(r.code()).isEqualTo(ErrorCode.UNKNOWN_WORKER));
  }

  @Test
  void aStoppedLoopRefusesNewWorkAsStopped() throws Exception {
    loop.close();
    assertThat(loop.healthy()).isFalse();
    assertThatThrownBy(() -> loop.read(q -> null)).isInstanceOf(EngineLoopException.Stopped.class);
  }

  /**
   * Requests offered while the loop closes are each answered or refused, never left unanswered: an
   * offer that passed the open check just before close could land in the inbox after the loop's
   * last pass over it, and its caller waited forever. Callers race a close many times over; the
   * seed picks when each close comes and is printed to replay a failure.
   */
  @Test
  void everyRequestOfferedAroundCloseIsAnsweredOrRefused() throws Exception {
    long seed = System.nanoTime();
    System.out.println("everyRequestOfferedAroundCloseIsAnsweredOrRefused seed=" + seed);
    var random = new java.util.Random(seed);
    for (int round = 0; round < 100; round++) {
      Path roundDir = dir.resolve("round-" + round);
      var roundBackend =
          new LocalBackend(
              DurableEngine.open(
                  roundDir, EngineConfig.DEFAULTS, new FsyncPolicy.NeverUnsafeForTests()));
      var roundLoop = new EngineLoop(roundBackend, LoopLimits.DEFAULTS, listener, time);
      roundLoop.start();
      var offered = new java.util.concurrent.ConcurrentLinkedQueue<CompletableFuture<Object>>();
      var callers = new java.util.ArrayList<Thread>();
      for (int c = 0; c < 6; c++) {
        callers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        while (true) {
                          try {
                            offered.add(roundLoop.read(q -> null));
                          } catch (EngineLoopException.Overloaded full) {
                            Thread.yield(); // the loop drains the inbox; offer again
                          }
                        }
                      } catch (EngineLoopException.Stopped refused) {
                        // closed: this caller is done
                      }
                    }));
      }
      Thread.sleep(random.nextInt(5));
      roundLoop.close();
      for (Thread t : callers) {
        t.join(10_000);
        assertThat(t.isAlive()).as("a caller still offering after close").isFalse();
      }
      for (CompletableFuture<Object> f : offered) {
        try {
          f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException refused) {
          assertThat(refused.getCause()).isInstanceOf(EngineLoopException.Stopped.class);
        } catch (java.util.concurrent.TimeoutException e) {
          throw new AssertionError(
              "round "
                  + round
                  + " (seed "
                  + seed
                  + "): a request offered around close was never"
                  + " answered",
              e);
        }
      }
      roundBackend.close();
    }
  }

  @Test
  void loopLimitsRefuseInconsistentBoundsNamingEveryValue() {
    assertThatThrownBy(
            () ->
                new LoopLimits(
                    0, 1, 1, 0, Duration.ofSeconds(1), Duration.ZERO, Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("inboxCapacity=0");
  }
}
