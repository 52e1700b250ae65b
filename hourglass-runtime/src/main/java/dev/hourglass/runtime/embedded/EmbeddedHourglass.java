package dev.hourglass.runtime.embedded;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobDeduplicated;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.id.JobIds;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.runtime.EngineLoop;
import dev.hourglass.runtime.EngineLoopException;
import dev.hourglass.runtime.EngineLoopListener;
import dev.hourglass.runtime.LocalBackend;
import dev.hourglass.wal.durable.DurableEngine;
import dev.hourglass.wal.durable.DurableOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hourglass inside a Java application: the server's engine, durable log and apply loop on a data
 * directory, with no HTTP in between. Open it, submit jobs, lease and report them from worker
 * threads, close it.
 *
 * <pre>{@code
 * try (var hourglass = EmbeddedHourglass.open(Path.of("data/jobs"))) {
 *   String id = hourglass.submit(JobSpec.of(null, "send-email", "{\"to\":\"a@example.com\"}"));
 *   for (Assignment a : hourglass.lease("worker-1", 10, List.of(), List.of(),
 *       Duration.ofSeconds(30), Duration.ofSeconds(5))) {
 *     hourglass.complete(a, null);
 *   }
 * }
 * }</pre>
 *
 * <p><b>Guarantees.</b> The same as the server's, because it is the server's loop: every mutating
 * call returns only after its command is in the log and forced to disk (with the default fsync
 * policy), so a job whose {@link #submit} returned survives a crash of the process at any moment; a
 * lease is fenced by its generation, so a worker whose lease expired cannot complete a job that
 * another worker now runs; delivery is at least once. Reopening the directory recovers exactly the
 * acknowledged state: jobs, generations, live leases with their expiry times; a lease granted
 * before the restart that its worker never confirmed is handed to that worker again with its next
 * {@link #lease} ({@link Assignment#redelivered()}).
 *
 * <p><b>Failures.</b> The engine's refusals are {@link CommandRefusedException} (unchecked, with
 * the {@link dev.hourglass.core.event.ErrorCode}); nothing changed. The loop's own conditions stay
 * {@link EngineLoopException}s: {@link EngineLoopException.Overloaded} (its inbox is full; nothing
 * applied, retry after a short backoff), {@link EngineLoopException.TimedOut} (no answer within
 * {@link dev.hourglass.runtime.LoopLimits#replyTimeout()}, or the caller was interrupted; the
 * command may still apply), {@link EngineLoopException.LogFailed} (the disk failed; the instance
 * refuses everything until reopened) and {@link EngineLoopException.Stopped} (closing). Bad
 * arguments are {@link IllegalArgumentException}s and reach no log; a call after {@link #close} is
 * an {@link IllegalStateException}.
 *
 * <p>Implementation notes. This class is a thin, typed face over {@link EngineLoop}, written the
 * way the HTTP API ({@code Api} in hourglass-server) maps its routes: each call builds the engine's
 * command stamped with the {@link EmbeddedOptions#time()} clock, hands it to the loop with a
 * function that turns the outcome into the answer on the loop thread (so the answer reads the state
 * right after the command, before any later one), and waits for it with the loop's reply timeout.
 * Concurrent callers share group commits: the loop drains every waiting call into one {@code
 * applyAll}, one fsync. A lease that finds nothing is parked inside the loop until a job could be
 * granted or its wait ends; it writes nothing while parked. Arguments that only this face can check
 * (lease batch and wait bounds, durations) are checked before anything is sent; the job spec itself
 * is validated by the engine, as for the server. Jobs submitted without an id get a time-ordered
 * UUIDv7 from the clock, as over HTTP.
 *
 * <p>Thread-safety: every method may be called from any thread; the loop serialises commands, and
 * its thread alone touches the engine.
 */
public final class EmbeddedHourglass implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedHourglass.class);

  /**
   * The longest a {@link #lease} may wait for a job. Why: every wait ends (the server's {@code
   * leaseWaitMax} is the same); a worker that wants longer leases again.
   */
  public static final Duration LEASE_WAIT_MAX = Duration.ofSeconds(60);

  /** Approximate log bytes of a job beyond its payload, for the loop's per-commit byte bound. */
  private static final long JOB_OVERHEAD_BYTES = 256;

  private final EmbeddedOptions options;
  private final LocalBackend backend;
  private final EngineLoop loop;
  private final JobIds ids;
  private volatile boolean closed;

  private EmbeddedHourglass(EmbeddedOptions options, LocalBackend backend, EngineLoop loop) {
    this.options = options;
    this.backend = backend;
    this.loop = loop;
    this.ids = options.time().jobIds();
  }

  /**
   * Opens (or creates) the data directory with {@link EmbeddedOptions#of default options}.
   *
   * @param dataDir the data directory
   * @return the running instance; close it
   * @throws IOException if the directory cannot be created, is locked by another process ({@link
   *     dev.hourglass.wal.DataDirectoryLockedException}) or holds a corrupt log
   * @throws NullPointerException if dataDir is null
   */
  public static EmbeddedHourglass open(Path dataDir) throws IOException {
    return open(EmbeddedOptions.of(dataDir));
  }

  /**
   * Opens (or creates) the data directory, recovers every acknowledged command from its log, and
   * starts the apply loop.
   *
   * @param options where and how
   * @return the running instance; close it
   * @throws IOException if the directory cannot be created, is locked by another process ({@link
   *     dev.hourglass.wal.DataDirectoryLockedException}) or holds a corrupt log
   * @throws NullPointerException if options is null
   */
  public static EmbeddedHourglass open(EmbeddedOptions options) throws IOException {
    Objects.requireNonNull(options, "options");
    var durable =
        DurableEngine.open(DurableOptions.of(options.dataDir(), options.engine(), options.fsync()));
    var backend = new LocalBackend(durable);
    var loop = new EngineLoop(backend, options.limits(), EngineLoopListener.NONE, options.time());
    loop.start();
    log.info(
        "embedded hourglass opened: dataDir={} fsync={} engine={} limits={} position={}",
        options.dataDir(),
        options.fsync(),
        durable.engine().config(),
        options.limits(),
        backend.position());
    return new EmbeddedHourglass(options, backend, loop);
  }

  /**
   * A new time-ordered job id (UUIDv7), for jobs whose ids the caller needs before submitting
   * (dependencies within a {@link #submitAll} batch).
   *
   * @return the id
   */
  public String newJobId() {
    return ids.next();
  }

  // ---------------------------------------------------------------------------------------------
  // Submitting and reading

  /**
   * Submits one job; returns once it is durable. A spec with a null {@code jobId} gets a new
   * UUIDv7; a spec whose {@code idempotencyKey} was submitted before returns that job's id and
   * submits nothing.
   *
   * @param spec the job
   * @return the job's id (the existing job's when deduplicated)
   * @throws CommandRefusedException {@code INVALID_ARGUMENT} (a bad spec), {@code
   *     DUPLICATE_JOB_ID}, {@code UNKNOWN_PARENT} or {@code DEPENDENCY_CYCLE}; nothing submitted
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if spec is null
   */
  public String submit(JobSpec spec) {
    JobSpec s = withId(Objects.requireNonNull(spec, "spec"));
    return write(
        new Command.SubmitJob(now(), s),
        bytes(s),
        (o, q) -> {
          for (Event e : ((Applied) o).events()) {
            if (e instanceof JobDeduplicated d) {
              return d.jobId();
            }
          }
          return s.jobId();
        });
  }

  /**
   * Submits jobs atomically, in one log record: all are accepted or none. Jobs may depend on each
   * other within the batch (give them ids, e.g. from {@link #newJobId}).
   *
   * @param specs 1 to {@link EngineConfig#BATCH_SIZE_MAX} jobs
   * @return each job's id, in the order given (an existing job's when deduplicated)
   * @throws CommandRefusedException as for {@link #submit}; nothing submitted
   * @throws IllegalArgumentException if the batch is empty or larger than the bound
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if specs or one of them is null
   */
  public List<String> submitAll(List<JobSpec> specs) {
    Objects.requireNonNull(specs, "specs");
    if (specs.isEmpty() || specs.size() > EngineConfig.BATCH_SIZE_MAX) {
      throw new IllegalArgumentException(
          ("a batch holds 1 to %d jobs; got %d; nothing was" + " submitted")
              .formatted(EngineConfig.BATCH_SIZE_MAX, specs.size()));
    }
    List<JobSpec> named = new ArrayList<>(specs.size());
    long bytes = 0;
    for (JobSpec spec : specs) {
      JobSpec s = withId(Objects.requireNonNull(spec, "specs[" + named.size() + "]"));
      named.add(s);
      bytes += bytes(s);
    }
    return write(
        new Command.SubmitJobs(now(), named),
        bytes,
        (o, q) -> {
          Map<String, String> dedup = new HashMap<>();
          for (Event e : ((Applied) o).events()) {
            if (e instanceof JobDeduplicated d) {
              dedup.put(d.idempotencyKey(), d.jobId());
            }
          }
          List<String> out = new ArrayList<>(named.size());
          for (JobSpec s : named) {
            String existing = s.idempotencyKey() == null ? null : dedup.get(s.idempotencyKey());
            out.add(existing != null ? existing : s.jobId());
          }
          return out;
        });
  }

  /**
   * The job as the engine knows it now, including every write acknowledged before this call.
   *
   * @param jobId the job
   * @return its view, or empty if no such job exists (or it was evicted after its retention)
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if jobId is null
   */
  public Optional<JobView> job(String jobId) {
    Objects.requireNonNull(jobId, "jobId");
    checkOpen();
    return await(loop.read(q -> q.job(jobId)), Duration.ZERO);
  }

  /**
   * Cancels a job that has not finished (and its dependants); a worker running it learns at its
   * next report ({@code CANCELLED}).
   *
   * @param jobId the job
   * @param reason why, kept with the job; may be null
   * @return the job's state now ({@link JobState#CANCELLED})
   * @throws CommandRefusedException {@code UNKNOWN_JOB}, or {@code ILLEGAL_TRANSITION} when it
   *     finished already
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if jobId is null
   */
  public JobState cancel(String jobId, String reason) {
    Objects.requireNonNull(jobId, "jobId");
    return write(new Command.CancelJob(now(), jobId, reason), 0, (o, q) -> q.state(jobId));
  }

  // ---------------------------------------------------------------------------------------------
  // Working

  /**
   * Leases up to {@code max} ready jobs, waiting up to {@code wait} for one to become ready (a long
   * poll, parked without writing). A worker is registered on its first lease, with {@code max} as
   * its capacity and these queues and task types as its own.
   *
   * @param workerId the worker; its id fences its reports
   * @param max at most this many jobs, 1 to {@link EngineConfig#LEASE_BATCH_MAX}
   * @param queues the queues to lease from; empty: the worker's registered ones (all when none)
   * @param tasks the task types it runs; empty: the worker's registered ones (all when none)
   * @param leaseDuration how long each lease holds unless extended, in whole milliseconds; {@link
   *     Duration#ZERO}: the engine's {@code defaultLeaseMillis}
   * @param wait how long to wait when nothing is ready, 0 to {@link #LEASE_WAIT_MAX}
   * @return the jobs leased, possibly none when the wait ended; redelivered ones first
   * @throws InterruptedException if the calling thread is interrupted while waiting; a lease may
   *     still be granted, and then expires unreported
   * @throws CommandRefusedException {@code INVALID_ARGUMENT} for a malformed worker id, queue or
   *     task name
   * @throws IllegalArgumentException if max, leaseDuration or wait is out of its bounds
   * @throws EngineLoopException see the class comment; {@code Overloaded} also when too many leases
   *     are parked
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if an argument is null
   */
  public List<Assignment> lease(
      String workerId,
      int max,
      List<String> queues,
      List<String> tasks,
      Duration leaseDuration,
      Duration wait)
      throws InterruptedException {
    Objects.requireNonNull(workerId, "workerId");
    if (max < 1 || max > EngineConfig.LEASE_BATCH_MAX) {
      throw new IllegalArgumentException(
          ("max=%d is outside [1, %d]; nothing was leased")
              .formatted(max, EngineConfig.LEASE_BATCH_MAX));
    }
    long leaseMillis = leaseMillis(leaseDuration);
    Objects.requireNonNull(wait, "wait");
    if (wait.isNegative() || wait.compareTo(LEASE_WAIT_MAX) > 0) {
      throw new IllegalArgumentException(
          ("wait=%s is outside [0, %s]; nothing was leased").formatted(wait, LEASE_WAIT_MAX));
    }
    List<String> q = List.copyOf(queues);
    List<String> t = List.copyOf(tasks);
    checkOpen();
    List<EngineLoop.Assignment> granted =
        awaitInterruptibly(loop.lease(workerId, max, q, t, leaseMillis, wait.toMillis()), wait);
    List<Assignment> out = new ArrayList<>(granted.size());
    for (var a : granted) {
      out.add(
          new Assignment(
              a.jobId(),
              workerId,
              a.generation(),
              a.task(),
              a.queue(),
              a.payload(),
              Instant.ofEpochMilli(a.leaseExpiresAtMillis()),
              a.redelivered()));
    }
    return out;
  }

  /**
   * Extends a lease (and confirms the worker has the job, so it is not redelivered after a
   * restart).
   *
   * @param jobId the job
   * @param workerId the lease holder
   * @param generation the lease's generation
   * @param leaseDuration the new lease, from now, in whole milliseconds; {@link Duration#ZERO}: the
   *     engine's default
   * @return when the lease now ends
   * @throws CommandRefusedException {@code UNKNOWN_JOB}, {@code STALE_GENERATION} or {@code
   *     NOT_LEASE_HOLDER} (the lease was lost: stop working on the job), {@code CANCELLED} or
   *     {@code TIMED_OUT} (this attempt ended: stop), {@code ILLEGAL_TRANSITION} (not running)
   * @throws IllegalArgumentException if leaseDuration is negative or below a millisecond
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if an argument is null
   */
  public Instant heartbeat(String jobId, String workerId, int generation, Duration leaseDuration) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(workerId, "workerId");
    long leaseMillis = leaseMillis(leaseDuration);
    var c = new Command.HeartbeatJob(now(), jobId, workerId, generation, leaseMillis);
    return write(
        c,
        0,
        (o, q) ->
            Instant.ofEpochMilli(q.job(jobId).orElseThrow().liveAttempt().leaseExpiresAtMillis()));
  }

  /**
   * {@link #heartbeat(String, String, int, Duration)} for an assignment.
   *
   * @param a the assignment
   * @param leaseDuration the new lease, from now
   * @return when the lease now ends
   * @throws CommandRefusedException as for the long form
   * @throws IllegalArgumentException as for the long form
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if an argument is null
   */
  public Instant heartbeat(Assignment a, Duration leaseDuration) {
    return heartbeat(a.jobId(), a.workerId(), a.generation(), leaseDuration);
  }

  /**
   * Reports success; the job is SUCCEEDED once this returns.
   *
   * @param jobId the job
   * @param workerId the lease holder
   * @param generation the lease's generation
   * @param result kept with the job (text, typically JSON); may be null
   * @return the job's state now ({@link JobState#SUCCEEDED})
   * @throws CommandRefusedException {@code UNKNOWN_JOB}, {@code STALE_GENERATION} or {@code
   *     NOT_LEASE_HOLDER} (another attempt owns the job), {@code CANCELLED} or {@code TIMED_OUT}
   *     (this attempt ended), {@code ILLEGAL_TRANSITION} (not running); nothing changed
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if jobId or workerId is null
   */
  public JobState complete(String jobId, String workerId, int generation, String result) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(workerId, "workerId");
    return write(
        new Command.CompleteJob(now(), jobId, workerId, generation, result),
        bytes(result),
        (o, q) -> q.state(jobId));
  }

  /**
   * {@link #complete(String, String, int, String)} for an assignment.
   *
   * @param a the assignment
   * @param result kept with the job; may be null
   * @return the job's state now
   * @throws CommandRefusedException as for the long form
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if a is null
   */
  public JobState complete(Assignment a, String result) {
    return complete(a.jobId(), a.workerId(), a.generation(), result);
  }

  /**
   * Reports failure: a retryable failure is retried after the job's backoff while attempts remain
   * (FAILED), otherwise the job is dead-lettered (DEAD).
   *
   * @param jobId the job
   * @param workerId the lease holder
   * @param generation the lease's generation
   * @param error what went wrong, kept with the attempt; may be null
   * @param retryable false to dead-letter at once
   * @return the job's state now ({@link JobState#FAILED} or {@link JobState#DEAD})
   * @throws CommandRefusedException as for {@link #complete(String, String, int, String)}
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if jobId or workerId is null
   */
  public JobState fail(
      String jobId, String workerId, int generation, String error, boolean retryable) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(workerId, "workerId");
    return write(
        new Command.FailJob(now(), jobId, workerId, generation, error, retryable),
        bytes(error),
        (o, q) -> q.state(jobId));
  }

  /**
   * {@link #fail(String, String, int, String, boolean)} for an assignment.
   *
   * @param a the assignment
   * @param error what went wrong; may be null
   * @param retryable false to dead-letter at once
   * @return the job's state now
   * @throws CommandRefusedException as for the long form
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if a is null
   */
  public JobState fail(Assignment a, String error, boolean retryable) {
    return fail(a.jobId(), a.workerId(), a.generation(), error, retryable);
  }

  /**
   * Gives a leased job back without spending an attempt (a worker shutting down): it is READY again
   * at once.
   *
   * @param jobId the job
   * @param workerId the lease holder
   * @param generation the lease's generation
   * @return the job's state now ({@link JobState#READY})
   * @throws CommandRefusedException as for {@link #complete(String, String, int, String)}
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if jobId or workerId is null
   */
  public JobState release(String jobId, String workerId, int generation) {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(workerId, "workerId");
    return write(
        new Command.ReleaseJob(now(), jobId, workerId, generation), 0, (o, q) -> q.state(jobId));
  }

  /**
   * {@link #release(String, String, int)} for an assignment.
   *
   * @param a the assignment
   * @return the job's state now
   * @throws CommandRefusedException as for the long form
   * @throws EngineLoopException see the class comment
   * @throws IllegalStateException after {@link #close}
   * @throws NullPointerException if a is null
   */
  public JobState release(Assignment a) {
    return release(a.jobId(), a.workerId(), a.generation());
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Whether the loop runs and its log has not failed; false after {@link #close} or a disk error
   * (then reopen the directory to recover).
   *
   * @return true while calls can succeed
   */
  public boolean healthy() {
    return !closed && loop.healthy();
  }

  /** Long polls parked in the loop now; racy, for tests that must know a lease is waiting. */
  int parkedLeases() {
    return loop.parkedCount();
  }

  /**
   * Stops: answers parked leases (empty), lets the loop apply what was already handed to it, stops
   * the loop, then flushes and closes the log and unlocks the directory. Calls made after this
   * starts are refused. Idempotent.
   *
   * @throws IOException if flushing or closing the log failed; the next open recovers from what
   *     reached the disk (every acknowledged command did)
   */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    loop.releaseParkedLeases();
    try {
      loop.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn(
          "interrupted while the apply loop stopped; closing the log anyway: dataDir={}",
          options.dataDir());
    }
    backend.close();
    log.info(
        "embedded hourglass closed: dataDir={} position={}", options.dataDir(), backend.position());
  }

  // ---------------------------------------------------------------------------------------------
  // Plumbing

  private long now() {
    return options.time().wallMillis();
  }

  private JobSpec withId(JobSpec spec) {
    if (spec.jobId() != null) {
      return spec;
    }
    return new JobSpec(
        ids.next(),
        spec.queue(),
        spec.task(),
        spec.payload(),
        spec.priority(),
        spec.deadlineMillis(),
        spec.runAtMillis(),
        spec.dependsOn(),
        spec.maxAttempts(),
        spec.backoff(),
        spec.timeoutMillis(),
        spec.idempotencyKey());
  }

  /** Approximate log bytes of a job; a UTF-16 char encodes to at most 3 UTF-8 bytes. */
  private static long bytes(JobSpec s) {
    return JOB_OVERHEAD_BYTES + bytes(s.payload());
  }

  private static long bytes(String text) {
    return text == null ? 0 : 3L * text.length();
  }

  /** Whole milliseconds of a lease; 0 is the engine's default, anything else at least 1 ms. */
  private static long leaseMillis(Duration d) {
    Objects.requireNonNull(d, "leaseDuration");
    if (d.isNegative()
        || (!d.isZero() && d.compareTo(Duration.ofMillis(1)) < 0)
        || d.compareTo(Duration.ofMillis(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException(
          ("leaseDuration=%s must be zero (the engine's default)"
                  + " or between 1 ms and Long.MAX_VALUE ms; nothing was applied")
              .formatted(d));
    }
    return d.toMillis();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(
          "this embedded hourglass on "
              + options.dataDir()
              + " is closed; nothing was applied; open the directory again");
    }
  }

  /**
   * Applies one command; a refusal becomes {@link CommandRefusedException}, else {@code answer}
   * computes the reply on the loop thread, right after the command.
   */
  private <R> R write(Command command, long bytes, BiFunction<Outcome, EngineQueries, R> answer) {
    checkOpen();
    return await(
        loop.write(
            command,
            bytes,
            (o, q) -> {
              if (o instanceof Rejected r) {
                throw new CommandRefusedException(r.code(), r.detail());
              }
              return answer.apply(o, q);
            }),
        Duration.ZERO);
  }

  private <T> T await(CompletableFuture<T> reply, Duration extra) {
    try {
      return awaitInterruptibly(reply, extra);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new EngineLoopException.TimedOut(
          "interrupted while waiting for the apply loop; the" + " command may still be applied");
    }
  }

  /**
   * Waits for the loop's answer, at most the reply timeout plus {@code extra}. A refusal is thrown
   * anew on the caller's thread, so its stack trace shows the call that was refused.
   */
  private <T> T awaitInterruptibly(CompletableFuture<T> reply, Duration extra)
      throws InterruptedException {
    Duration timeout = options.limits().replyTimeout().plus(extra);
    try {
      return reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw rethrown(e.getCause());
    } catch (TimeoutException e) {
      throw new EngineLoopException.TimedOut(
          ("no answer from the apply loop within %s; the" + " command may still be applied")
              .formatted(timeout));
    }
  }

  private static RuntimeException rethrown(Throwable cause) {
    return switch (cause) {
      case CommandRefusedException r -> new CommandRefusedException(r.code(), r.detail());
      case EngineLoopException.Rejected r -> new CommandRefusedException(r.code(), r.getMessage());
      case EngineLoopException e -> e;
      default ->
          new IllegalStateException("the apply loop failed a request (a bug): " + cause, cause);
    };
  }
}
