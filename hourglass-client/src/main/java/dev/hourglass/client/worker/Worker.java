package dev.hourglass.client.worker;

import dev.hourglass.client.Assignment;
import dev.hourglass.client.ErrorCode;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.HourglassException;
import dev.hourglass.client.JobState;
import dev.hourglass.client.LeaseSignal;
import dev.hourglass.client.LeaseStrategy;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A worker: long-polls the server for jobs of the task types it has handlers for, runs each on a
 * virtual thread (at most {@code capacity} at once), heartbeats their leases, and reports each
 * result with the lease's generation.
 *
 * <pre>{@code
 * try (var client = HourglassClient.builder("http://127.0.0.1:7070").build();
 *      var worker = Worker.builder(client).workerId("w1").capacity(8)
 *          .handler("send-email", ctx -> mailer.send(ctx.payloadAs(Email.class)))
 *          .build().start()) {
 *   Thread.currentThread().join(); // until killed; close() shuts down gracefully
 * }
 * }</pre>
 *
 * <p><b>How it works.</b> A poller thread acquires at least one free slot (a semaphore of {@code
 * capacity} permits, so it never polls without room), takes further free slots up to its share, and
 * long-polls {@code POST /api/v1/lease} with {@code wait_ms}: the server answers as soon as a job
 * is ready, so an idle worker makes one request per poll wait and poller, never a busy loop. Unused
 * permits go back at once; each job's permit goes back when its handler ends. A worker of capacity
 * 2 or more has two pollers, each taking at most half the slots (rounded up), so one poll stays
 * parked on the server while the other's answer travels back and its next poll travels out: a job
 * that becomes ready meanwhile is granted to the parked poll at once, in the same durable step as
 * its submit, instead of waiting for the round trip. The second poller polls only while the first
 * one's calls succeed; the first one alone backs off from a server that cannot be reached, so an
 * outage costs no extra calls. One heartbeat thread extends every held lease each {@code
 * heartbeatInterval} (a third of the lease by default), and keeps the worker itself alive when it
 * holds nothing. Successes that finish while a report is in flight go to the server together in one
 * {@code jobs:complete} call ({@link CompletionBatcher}), so a busy worker makes one report per
 * round trip, not one per job.
 *
 * <p><b>Cancels and timeouts.</b> While it holds jobs, one more thread keeps a signal poll ({@code
 * POST /api/v1/workers/{id}/signals}) parked on the server, naming the leases it holds; the server
 * answers as soon as one of them is cancelled or runs past its {@code timeout_ms}. The worker then
 * marks the job's {@link JobContext#isCancelled()}, interrupts its handler, logs one INFO line,
 * tells {@link WorkerListener#onCancelled}, and does not report the job. So a handler hears of a
 * cancel within milliseconds, not at the next heartbeat. If a report or heartbeat meets the cancel
 * first (409 {@code CANCELLED} or {@code TIMED_OUT}), the same happens, quietly.
 *
 * <p><b>Fencing.</b> Every report names the generation of the lease. Any other 409 on a heartbeat
 * or report means the lease is lost (it expired and the job was re-leased): the worker drops the
 * job, interrupts its handler, tells the listener, and never reports it again. Each job is reported
 * exactly once by this worker: whichever of the handler's end, the loss, the cancel, or the
 * shutdown's release comes first settles it.
 *
 * <p><b>Failures.</b> When the server cannot be reached (or answers 503), polls back off
 * exponentially with jitter ({@code backoffMin} doubling to {@code backoffMax}, times a random
 * factor in [0.5, 1]), so many workers do not return in lockstep; reports are retried the same way
 * until the lease would have ended.
 *
 * <p><b>Shutdown</b> ({@link #close}, {@link #shutdown}): stop polling, wait up to the timeout for
 * running handlers, then release the rest (they return to READY without spending an attempt), let
 * the parked poll end, and deregister, which also returns any job granted to a poll that had to be
 * abandoned. The server keeps a parked poll until its wait ends even if the client has gone, which
 * is why the default poll wait is a short 5 s.
 *
 * <p>Thread-safety: {@link #start}, {@link #shutdown} and the getters may be called from any
 * thread.
 */
public final class Worker implements AutoCloseable {
  private static final System.Logger log = System.getLogger(Worker.class.getName());

  /** Why: at shutdown, a parked poll gets this long to end by itself (see {@link #shutdown}). */
  private static final Duration POLL_GRACE = Duration.ofMillis(500);

  /** The most task types the server accepts from one worker (its engine's bound). */
  public static final int TASKS_MAX = 1_000;

  /**
   * Why this many completions per call at most: the server takes up to 10,000, but 1,000 small
   * results already make the call's cost per job negligible, and keep one body well under the
   * server's 16 MiB batch limit when results are a few KiB.
   */
  private static final int COMPLETIONS_PER_CALL_MAX = 1_000;

  /**
   * Why: a signal poll is answered early whenever there is news, so a long wait only saves calls;
   * 25 s stays under the server's 60 s maximum and common proxy idle timeouts.
   */
  private static final Duration SIGNAL_WAIT = Duration.ofSeconds(25);

  /**
   * Why two: under steady load, a single poll spends most of its time travelling (the answer back,
   * the handler's dispatch, the next poll out and its log record), and every job that becomes ready
   * meanwhile waits for it; a second poll is parked then and takes the job in its submit's own
   * group commit. More polls add requests and parked connections for little: two already leave one
   * parked for all but the overlap of their round trips.
   */
  private static final int POLLS_MAX = 2;

  private final HourglassClient client;
  private final String workerId;
  private final int capacity;
  private final List<String> queues;
  private final Map<String, JobHandler> handlers;

  /**
   * The task types it has handlers for, in the order they were added: sent with every registration
   * and lease, so the server hands it only jobs it can run and leaves the others READY for workers
   * that can (a worker can only get a job it has a handler for).
   */
  private final List<String> tasks;

  private final LeaseStrategy strategy;
  private final Map<String, Integer> reserve;
  private final Duration lease;
  private final Duration heartbeatInterval;
  private final Duration heartbeatTimeout;
  private final Duration pollWait;
  private final Duration shutdownTimeout;
  private final Duration backoffMin;
  private final Duration backoffMax;
  private final WorkerListener listener;

  private final Semaphore slots;

  /** Running jobs by {@code jobId#generation}. */
  private final Map<String, Running> inFlight = new ConcurrentHashMap<>();

  private final Object idle = new Object();
  private final ExecutorService jobThreads;
  private final CompletionBatcher completions;
  private final AtomicBoolean started = new AtomicBoolean();
  private volatile boolean polling;
  private volatile boolean heartbeating;
  private volatile boolean registered;
  private volatile boolean stopped;
  private final List<Thread> pollers = new ArrayList<>();

  /** Held while registering, so that pollers register the worker once. */
  private final Object registering = new Object();

  /**
   * Whether the first poller's last call succeeded; the other pollers poll only while it is true.
   * Guarded by itself.
   */
  private final boolean[] leadPollOk = {false};

  private Thread heartbeater;
  private Thread signaller;

  /** Notified when a job is dispatched, so that the signal thread starts a poll for it. */
  private final Object dispatched = new Object();

  /** Jobs dispatched so far; guarded by {@link #dispatched}. */
  private long dispatchCount;

  /** A job whose handler runs; settled once, by its report, its loss or its release. */
  private static final class Running {
    final JobContext ctx;
    final String key;
    final AtomicBoolean settled = new AtomicBoolean();
    volatile Thread thread;

    Running(JobContext ctx) {
      this.ctx = ctx;
      this.key = key(ctx.jobId(), ctx.generation());
    }
  }

  private Worker(Builder b) {
    this.client = b.client;
    this.workerId = b.workerId;
    this.capacity = b.capacity;
    this.queues = List.copyOf(b.queues);
    this.handlers = Map.copyOf(b.handlers);
    this.tasks = List.copyOf(b.handlers.keySet());
    this.strategy = b.strategy;
    this.reserve = Map.copyOf(b.reserve);
    this.lease = b.lease;
    this.heartbeatInterval = b.heartbeatInterval != null ? b.heartbeatInterval : lease.dividedBy(3);
    this.heartbeatTimeout =
        b.heartbeatTimeout != null
            ? b.heartbeatTimeout
            : max(lease.multipliedBy(2), b.pollWait.plus(lease));
    this.pollWait = b.pollWait;
    this.shutdownTimeout = b.shutdownTimeout;
    this.backoffMin = b.backoffMin;
    this.backoffMax = b.backoffMax;
    this.listener = b.listener;
    this.slots = new Semaphore(capacity);
    this.completions = new CompletionBatcher(client, workerId, COMPLETIONS_PER_CALL_MAX);
    this.jobThreads =
        Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("hourglass-" + workerId + "-job-", 0).factory());
  }

  /**
   * Starts a worker that uses this client.
   *
   * @param client the client (not closed by the worker)
   * @return a builder
   * @throws NullPointerException if client is null
   */
  public static Builder builder(HourglassClient client) {
    return new Builder(Objects.requireNonNull(client, "client"));
  }

  /**
   * Starts polling and heartbeating. The worker registers itself on its first successful call, so
   * it may start before the server is up.
   *
   * @return this worker
   * @throws IllegalStateException if it was started before
   */
  public Worker start() {
    if (!started.compareAndSet(false, true)) {
      throw new IllegalStateException(
          "worker " + workerId + " was already started; build a new" + " one to run again");
    }
    polling = true;
    heartbeating = true;
    int polls = Math.min(capacity, POLLS_MAX);
    int share = (capacity + polls - 1) / polls;
    for (int i = 0; i < polls; i++) {
      int index = i;
      pollers.add(
          Thread.ofPlatform()
              .name("hourglass-" + workerId + "-poll" + (i == 0 ? "" : "-" + i))
              .daemon()
              .start(() -> pollLoop(index, share)));
    }
    heartbeater =
        Thread.ofPlatform()
            .name("hourglass-" + workerId + "-heartbeat")
            .daemon()
            .start(this::heartbeatLoop);
    signaller =
        Thread.ofPlatform()
            .name("hourglass-" + workerId + "-signals")
            .daemon()
            .start(this::signalLoop);
    log.log(
        Level.INFO,
        "hourglass worker started: worker={0} capacity={1} queues={2} tasks={3}"
            + " lease={4} server={5}",
        workerId,
        capacity,
        queues,
        handlers.keySet(),
        lease,
        client.baseUrl());
    return this;
  }

  /**
   * The worker's id.
   *
   * @return the id
   */
  public String workerId() {
    return workerId;
  }

  /**
   * Whether the server knows this worker: true after its first successful registration, false again
   * while the server has forgotten it (it answered 404 or {@code UNKNOWN_WORKER}, e.g. after
   * declaring it dead) until the poller registers it anew. For health checks; it reflects the last
   * call, not a fresh one.
   *
   * @return true while registered
   */
  public boolean registered() {
    return registered;
  }

  /**
   * Jobs whose handlers run now.
   *
   * @return the count
   */
  public int inFlight() {
    return inFlight.size();
  }

  /**
   * Shuts down gracefully with the builder's shutdown timeout; see {@link #shutdown}. Idempotent.
   */
  @Override
  public void close() {
    shutdown(shutdownTimeout);
  }

  /**
   * Stops polling, waits up to {@code timeout} for running handlers to finish and report, then
   * releases the jobs still running (they return to READY without spending an attempt; their
   * handlers are interrupted and their results ignored), lets the poll in flight end (within the
   * timeout's rest, at least 500 ms; anything it brings back is released), and deregisters.
   * Idempotent. Failures to reach the server are logged, not thrown (unreleased jobs then return to
   * READY when their leases expire).
   *
   * @param timeout how long running handlers may take to finish
   * @return true if every handler finished in time, false if some jobs were released
   */
  public synchronized boolean shutdown(Duration timeout) {
    if (stopped || !started.get()) {
      stopped = true;
      return true;
    }
    stopped = true;
    long deadline = System.nanoTime() + timeout.toNanos();
    polling = false; // the poll in flight finishes; anything it brings back is released at once
    awaitIdle(deadline);
    List<Running> rest = new ArrayList<>(inFlight.values());
    for (Running r : rest) {
      releaseUnfinished(r);
    }
    // The server keeps a parked poll until its wait ends, even when the connection is gone, and
    // would grant it jobs nobody runs; so let the poll end by itself while time remains (at
    // least POLL_GRACE), and only then abandon it. Deregistering below returns anything granted
    // to an abandoned poll.
    long graceEnd =
        System.nanoTime() + Math.max(deadline - System.nanoTime(), POLL_GRACE.toNanos());
    synchronized (leadPollOk) {
      leadPollOk.notifyAll(); // a poller waiting for the first one wakes and sees polling is over
    }
    for (Thread poller : pollers) {
      joinQuietly(poller, Duration.ofNanos(Math.max(0, graceEnd - System.nanoTime())));
    }
    for (Thread poller : pollers) {
      if (poller.isAlive()) {
        poller.interrupt();
        joinQuietly(poller, Duration.ofSeconds(5));
      }
    }
    heartbeating = false;
    heartbeater.interrupt();
    joinQuietly(heartbeater, Duration.ofSeconds(5));
    signaller.interrupt();
    joinQuietly(signaller, Duration.ofSeconds(5));
    try {
      client.deregisterWorker(workerId);
    } catch (HourglassException e) {
      if (e.status() != 404) {
        log.log(
            Level.WARNING,
            "deregistering worker={0} failed: {1}; its leases, if any," + " expire by themselves",
            workerId,
            e.getMessage());
      }
    }
    registered = false;
    jobThreads.shutdownNow();
    log.log(Level.INFO, "hourglass worker stopped: worker={0} released={1}", workerId, rest.size());
    return rest.isEmpty();
  }

  private void awaitIdle(long deadlineNanos) {
    synchronized (idle) {
      long left;
      while (!inFlight.isEmpty() && (left = deadlineNanos - System.nanoTime()) > 0) {
        try {
          idle.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private void removeInFlight(Running r) {
    inFlight.remove(r.key, r);
    synchronized (idle) {
      idle.notifyAll();
    }
  }

  private void releaseUnfinished(Running r) {
    if (!r.settled.compareAndSet(false, true)) {
      return;
    }
    r.ctx.markLost();
    removeInFlight(r);
    try {
      client.release(r.ctx.jobId(), workerId, r.ctx.generation());
      safely(() -> listener.onReleased(r.ctx));
    } catch (HourglassException e) {
      log.log(
          Level.WARNING,
          "release of {0} failed: {1}; the job returns to READY when its" + " lease expires",
          r.ctx,
          e.detail());
    }
    Thread t = r.thread;
    if (t != null) {
      t.interrupt();
    }
  }

  // ------------------------------------------------------------------------------ polling

  /**
   * One poller: {@code index} 0 registers the worker and backs off from failures; the others poll
   * only while its calls succeed. Each takes at most {@code share} slots per poll.
   */
  private void pollLoop(int index, int share) {
    int failures = 0;
    while (polling) {
      int taken = 0;
      try {
        if (index > 0 && !awaitLeadPollOk()) {
          return;
        }
        if (!registered) {
          synchronized (registering) {
            if (!registered) {
              client.registerWorker(workerId, capacity, queues, heartbeatTimeout, tasks, reserve);
              registered = true;
            }
          }
          leadPollOk(true);
        }
        slots.acquire();
        taken = 1;
        while (taken < share && slots.tryAcquire()) {
          taken++;
        }
        List<Assignment> got =
            client.lease(workerId, taken, pollWait, queues, lease, tasks, strategy);
        slots.release(taken - got.size());
        taken = 0;
        if (index == 0) {
          leadPollOk(true);
        }
        for (Assignment a : got) {
          if (polling) {
            dispatch(a);
          } else {
            giveBack(a);
          }
        }
        failures = 0;
      } catch (InterruptedException e) {
        slots.release(taken);
        return;
      } catch (HourglassException e) {
        slots.release(taken);
        if (!polling) {
          return;
        }
        if (e.is(ErrorCode.UNKNOWN_WORKER)) {
          registered = false;
        }
        leadPollOk(false);
        if (index > 0) {
          continue; // waits for the first poller, which reports the failure and backs off
        }
        failures++;
        if (!backOff(e, failures)) {
          return;
        }
      }
    }
  }

  private void leadPollOk(boolean ok) {
    synchronized (leadPollOk) {
      if (leadPollOk[0] != ok) {
        leadPollOk[0] = ok;
        leadPollOk.notifyAll();
      }
    }
  }

  /** Waits until the first poller's calls succeed; false when polling ends or on interrupt. */
  private boolean awaitLeadPollOk() throws InterruptedException {
    synchronized (leadPollOk) {
      while (polling && !leadPollOk[0]) {
        leadPollOk.wait(pollWait.toMillis()); // bounded: re-checks polling
      }
      return polling;
    }
  }

  /** Sleeps with jitter after a failed call; false when interrupted (shutting down). */
  private boolean backOff(HourglassException e, int failures) {
    long cap = backoffMax.toMillis();
    long base = Math.min(cap, backoffMin.toMillis() << Math.min(failures - 1, 20));
    long sleep = (long) (base * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()));
    Duration d = Duration.ofMillis(Math.max(1, sleep));
    safely(() -> listener.onServerUnreachable(e, d));
    if (failures == 1 || failures % 20 == 0) { // rate-limited: one line per streak, then rarely
      log.log(
          e.isTransient() ? Level.WARNING : Level.ERROR,
          "worker={0} call failed" + " (failures in a row: {1}), retrying in {2} ms: {3}",
          workerId,
          failures,
          d.toMillis(),
          e.getMessage());
    }
    try {
      Thread.sleep(d);
      return true;
    } catch (InterruptedException x) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private void dispatch(Assignment a) {
    if (!handlers.containsKey(a.task())) {
      // Leases name this worker's task types, so only a job assigned to it by id gets here:
      // give it back (no attempt spent) for a worker that can run it, rather than fail it.
      log.log(
          Level.WARNING,
          "worker={0} has no handler for task={1} (job={2}); releasing it"
              + " for a worker that has one",
          workerId,
          a.task(),
          a.jobId());
      slots.release();
      try {
        client.release(a.jobId(), workerId, a.generation());
      } catch (HourglassException e) {
        log.log(Level.DEBUG, "release of job={0} failed: {1}", a.jobId(), e.detail());
      }
      return;
    }
    var r = new Running(new JobContext(a, workerId, client));
    if (inFlight.putIfAbsent(r.key, r) != null) {
      slots.release(); // a redelivered copy of a job this worker already runs
      return;
    }
    jobThreads.execute(() -> run(r));
    synchronized (dispatched) {
      dispatchCount++;
      dispatched.notifyAll();
    }
  }

  /** Releases a job granted after shutdown began. */
  private void giveBack(Assignment a) {
    slots.release();
    try {
      client.release(a.jobId(), workerId, a.generation());
    } catch (HourglassException e) {
      log.log(Level.DEBUG, "release of job={0} at shutdown failed: {1}", a.jobId(), e.detail());
    }
  }

  private static String key(String jobId, int generation) {
    return jobId + "#" + generation;
  }

  // ------------------------------------------------------------------------------ running

  private void run(Running r) {
    r.thread = Thread.currentThread();
    JobContext ctx = r.ctx;
    try {
      safely(() -> listener.onLeased(ctx));
      JobHandler h = handlers.get(ctx.task());
      Object result = null;
      Throwable failure = null;
      try {
        if (h == null) {
          throw new IllegalStateException(
              "worker "
                  + workerId
                  + " has no handler for task \""
                  + ctx.task()
                  + "\" (it has "
                  + handlers.keySet()
                  + "); register one, or keep"
                  + " such jobs in a queue this worker does not serve");
        }
        result = h.handle(ctx);
      } catch (Throwable t) {
        failure = t;
      }
      if (r.settled.compareAndSet(false, true)) {
        Thread.interrupted(); // a stale interrupt must not abort the report
        if (failure == null) {
          report(ctx, result);
        } else {
          reportFailure(ctx, failure);
        }
      }
    } finally {
      removeInFlight(r);
      slots.release();
    }
  }

  /**
   * Reports a success through the batcher (one call for every success that is ready at the same
   * time); anything the batch could not settle is reported on its own.
   */
  private void report(JobContext ctx, Object result) {
    CompletionBatcher.Reply reply = completions.complete(ctx.jobId(), ctx.generation(), result);
    switch (reply.outcome()) {
      case APPLIED -> safely(() -> listener.onCompleted(ctx, result));
      case REFUSED ->
          lost(
              ctx,
              new HourglassException(
                  409, reply.codeName(), "Conflict", reply.detail(), null, null, null));
      case UNSENT -> reportAlone(ctx, result);
    }
  }

  private void reportAlone(JobContext ctx, Object result) {
    try {
      retrying(ctx, () -> client.complete(ctx.jobId(), workerId, ctx.generation(), result));
      safely(() -> listener.onCompleted(ctx, result));
    } catch (HourglassException e) {
      if (e.isConflict()) {
        lost(ctx, e);
      } else if (!e.isTransient()) { // e.g. a result over the size limit: fail it instead
        reportFailure(
            ctx, new IllegalStateException("the server refused the result: " + e.detail(), e));
      }
    }
  }

  private void reportFailure(JobContext ctx, Throwable failure) {
    String error =
        failure.getMessage() == null
            ? failure.toString()
            : failure.getClass().getSimpleName() + ": " + failure.getMessage();
    boolean retryable = !(failure instanceof NonRetryableException);
    try {
      JobState s =
          retrying(
              ctx, () -> client.fail(ctx.jobId(), workerId, ctx.generation(), error, retryable));
      safely(() -> listener.onFailed(ctx, failure, s));
    } catch (HourglassException e) {
      if (e.isConflict()) {
        lost(ctx, e);
      } else {
        log.log(
            Level.WARNING,
            "failure report of {0} not delivered: {1}; the job is retried"
                + " when its lease expires",
            ctx,
            e.getMessage());
      }
    }
  }

  /** Retries a report on transient failures until the lease would have ended. */
  private <T> T retrying(JobContext ctx, java.util.function.Supplier<T> call) {
    for (int failures = 1; ; failures++) {
      try {
        return call.get();
      } catch (HourglassException e) {
        if (!e.isTransient()
            || Instant.now().isAfter(ctx.leaseExpiresAt())
            || stopped
            || !backOff(e, failures)) {
          throw e;
        }
      }
    }
  }

  private void lost(JobContext ctx, HourglassException refusal) {
    Cancellation c = Cancellation.ofCode(refusal.code(), refusal.detail());
    if (c != null) {
      cancelled(ctx, c);
      return;
    }
    ctx.markLost();
    log.log(Level.DEBUG, "lease lost: {0}: {1}", ctx, refusal.detail());
    safely(() -> listener.onLeaseLost(ctx, refusal));
  }

  // ------------------------------------------------------------------- cancels and timeouts

  /** Marks, logs and tells; the caller has settled the job and interrupts its handler. */
  private void cancelled(JobContext ctx, Cancellation c) {
    ctx.markCancelled(c);
    if (c.cause() == Cancellation.Cause.CANCELLED) {
      log.log(
          Level.INFO,
          "job {0} cancelled by user: {1} (worker={2} generation={3}); its"
              + " handler is interrupted and the job is not reported",
          ctx.jobId(),
          c.reason(),
          workerId,
          ctx.generation());
    } else {
      log.log(
          Level.INFO,
          "job {0} timed out: {1} (worker={2} generation={3}); its handler is"
              + " interrupted and the job is not reported",
          ctx.jobId(),
          c.reason(),
          workerId,
          ctx.generation());
    }
    safely(() -> listener.onCancelled(ctx, c));
  }

  /** Settles a running job on a signal: it is not reported, and its handler is interrupted. */
  private void signalled(Running r, Cancellation c) {
    if (!r.settled.compareAndSet(false, true)) {
      return; // already reported, lost or released
    }
    removeInFlight(r);
    cancelled(r.ctx, c);
    Thread t = r.thread;
    if (t != null) {
      t.interrupt();
    }
  }

  /**
   * Keeps one signal poll parked while the worker holds jobs, naming them; no call while it holds
   * none. A job dispatched while a poll waits is covered by it (the server wakes a worker's poll
   * for any of its leases), and named in the next one.
   */
  private void signalLoop() {
    int failures = 0;
    while (heartbeating) {
      long seen;
      synchronized (dispatched) {
        seen = dispatchCount;
      }
      List<LeaseSignal.Held> held = new ArrayList<>();
      for (Running r : inFlight.values()) {
        if (!r.settled.get()) {
          held.add(new LeaseSignal.Held(r.ctx.jobId(), r.ctx.generation()));
        }
      }
      try {
        if (held.isEmpty()) {
          synchronized (dispatched) {
            if (dispatchCount == seen) { // nothing dispatched since the jobs were looked at
              dispatched.wait(pollWait.toMillis()); // bounded: re-checks heartbeating
            }
          }
          continue;
        }
        for (LeaseSignal s : client.signals(workerId, held, SIGNAL_WAIT)) {
          Running r = inFlight.get(key(s.jobId(), s.generation()));
          Cancellation c = Cancellation.ofCode(s.code(), s.reason());
          if (r != null && c != null) {
            signalled(r, c);
          }
        }
        failures = 0;
      } catch (InterruptedException e) {
        return;
      } catch (HourglassException e) {
        if (!heartbeating) {
          return;
        }
        if (e.is(ErrorCode.NOT_FOUND)) {
          log.log(
              Level.INFO,
              "worker={0}: the server has no signal poll (an older version);"
                  + " handlers hear of cancels at the next heartbeat",
              workerId);
          return;
        }
        failures++; // the poller reports unreachable servers; this thread only waits
        long sleep =
            Math.min(backoffMax.toMillis(), backoffMin.toMillis() << Math.min(failures - 1, 20));
        try {
          Thread.sleep(Math.max(1, sleep));
        } catch (InterruptedException x) {
          return;
        }
      }
    }
  }

  // ---------------------------------------------------------------------------- heartbeats

  private void heartbeatLoop() {
    long lastWorkerBeat = System.nanoTime();
    while (heartbeating) {
      try {
        Thread.sleep(heartbeatInterval);
      } catch (InterruptedException e) {
        return;
      }
      List<Running> held = new ArrayList<>(inFlight.values());
      List<Thread> beats = new ArrayList<>(held.size());
      for (Running r : held) {
        beats.add(Thread.ofVirtual().start(() -> heartbeat(r)));
      }
      for (Thread t : beats) {
        try {
          t.join(heartbeatInterval.toMillis() * 2);
        } catch (InterruptedException e) {
          return;
        }
      }
      if (held.isEmpty()
          && registered
          && System.nanoTime() - lastWorkerBeat > heartbeatTimeout.toNanos() / 3) {
        lastWorkerBeat = System.nanoTime();
        try {
          client.workerHeartbeat(workerId);
        } catch (HourglassException e) {
          if (e.status() == 404) {
            registered = false; // the poller registers again
          }
        }
      }
    }
  }

  private void heartbeat(Running r) {
    if (r.settled.get()) {
      return;
    }
    try {
      Instant until = client.heartbeat(r.ctx.jobId(), workerId, r.ctx.generation(), lease);
      r.ctx.leaseExtended(until);
    } catch (HourglassException e) {
      if (e.isConflict() && r.settled.compareAndSet(false, true)) {
        removeInFlight(r);
        lost(r.ctx, e);
        Thread t = r.thread;
        if (t != null) {
          t.interrupt();
        }
      } // transient: the next beat tries again; a lost lease then shows as 409
    }
  }

  private static void safely(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.log(Level.WARNING, "worker listener threw; ignored", e);
    }
  }

  private static void joinQuietly(Thread t, Duration max) {
    try {
      t.join(max);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** A worker's settings; not thread-safe. */
  public static final class Builder {
    /** Why: the server grants at most 10,000 jobs per lease, and each holds a thread. */
    public static final int CAPACITY_MAX = 10_000;

    private final HourglassClient client;
    private String workerId;
    private int capacity = 4;
    private List<String> queues = List.of();
    private LeaseStrategy strategy = LeaseStrategy.PRIORITY;
    private Map<String, Integer> reserve = Map.of();
    private final Map<String, JobHandler> handlers = new LinkedHashMap<>();
    private Duration lease = Duration.ofSeconds(30);
    private Duration heartbeatInterval;
    private Duration heartbeatTimeout;
    private Duration pollWait = Duration.ofSeconds(5);
    private Duration shutdownTimeout = Duration.ofSeconds(10);
    private Duration backoffMin = Duration.ofMillis(100);
    private Duration backoffMax = Duration.ofSeconds(10);
    private WorkerListener listener = new WorkerListener() {};

    private Builder(HourglassClient client) {
      this.client = client;
    }

    /**
     * The worker's id (default: {@code worker-<pid>-<random>}). Must be unique among live workers.
     *
     * @param id the id
     * @return this builder
     * @throws IllegalArgumentException if blank
     */
    public Builder workerId(String id) {
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException("workerId must not be blank");
      }
      this.workerId = id;
      return this;
    }

    /**
     * Jobs run at once (default 4).
     *
     * @param n 1 to {@link #CAPACITY_MAX}
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder capacity(int n) {
      if (n < 1 || n > CAPACITY_MAX) {
        throw new IllegalArgumentException(
            "capacity=" + n + " is outside [1, " + CAPACITY_MAX + "]");
      }
      this.capacity = n;
      return this;
    }

    /**
     * The queues to serve (default: all).
     *
     * @param names queue names
     * @return this builder
     * @throws NullPointerException if a name is null
     */
    public Builder queues(List<String> names) {
      this.queues = List.copyOf(names);
      return this;
    }

    /**
     * How each lease divides the worker's free slots over its queues (default {@link
     * LeaseStrategy#PRIORITY}).
     *
     * @param s the strategy
     * @return this builder
     * @throws NullPointerException if null
     */
    public Builder strategy(LeaseStrategy s) {
      this.strategy = Objects.requireNonNull(s, "strategy");
      return this;
    }

    /**
     * Slots set aside per queue (default none): while unused, only that queue's jobs take them, so
     * a flood of heavy jobs never takes the last slot from light ones. The server refuses
     * reservations above the capacity, or for a queue the worker does not serve.
     *
     * @param slotsByQueue slots per queue, each at least 1
     * @return this builder
     * @throws IllegalArgumentException if a count is below 1
     */
    public Builder reserve(Map<String, Integer> slotsByQueue) {
      slotsByQueue.forEach(
          (q, n) -> {
            if (n == null || n < 1) {
              throw new IllegalArgumentException("reserve[" + q + "]=" + n + " must be at least 1");
            }
          });
      this.reserve = new LinkedHashMap<>(slotsByQueue);
      return this;
    }

    /**
     * Registers the handler of a task type.
     *
     * @param task the task type
     * @param handler runs its jobs
     * @return this builder
     * @throws IllegalArgumentException if the task already has a handler
     */
    public Builder handler(String task, JobHandler handler) {
      if (handlers.putIfAbsent(
              Objects.requireNonNull(task, "task"), Objects.requireNonNull(handler, "handler"))
          != null) {
        throw new IllegalArgumentException("task \"" + task + "\" already has a handler");
      }
      return this;
    }

    /**
     * Registers every handler of a provider.
     *
     * @param provider the handlers by task type
     * @return this builder
     * @throws IllegalArgumentException if a task already has a handler
     */
    public Builder handlers(HandlerProvider provider) {
      provider.handlers().forEach(this::handler);
      return this;
    }

    /**
     * Each lease's length (default 30 s); heartbeats extend it while the handler runs. A killed
     * worker's jobs are retried about this long after its last heartbeat.
     *
     * @param d at least 100 ms
     * @return this builder
     * @throws IllegalArgumentException if below 100 ms
     */
    public Builder lease(Duration d) {
      if (d.toMillis() < 100) {
        throw new IllegalArgumentException(
            "lease=" + d + " is below 100 ms; heartbeats could" + " not keep up");
      }
      this.lease = d;
      return this;
    }

    /**
     * How often running jobs' leases are extended (default a third of the lease).
     *
     * @param d positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder heartbeatInterval(Duration d) {
      this.heartbeatInterval = positive(d, "heartbeatInterval");
      return this;
    }

    /**
     * After this much silence the server declares the worker dead (default the larger of two leases
     * and poll wait plus a lease).
     *
     * @param d positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder heartbeatTimeout(Duration d) {
      this.heartbeatTimeout = positive(d, "heartbeatTimeout");
      return this;
    }

    /**
     * How long one long poll waits for a job (default 5 s). An idle worker makes one request per
     * wait and poller (two pollers from capacity 2 up); a shutdown waits for the parked polls to
     * end (see {@link Worker#shutdown}).
     *
     * @param d 1 ms to 60 s
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder pollWait(Duration d) {
      if (d.toMillis() < 1 || d.compareTo(HourglassClient.LEASE_WAIT_MAX) > 0) {
        throw new IllegalArgumentException("pollWait=" + d + " is outside [1 ms, 60 s]");
      }
      this.pollWait = d;
      return this;
    }

    /**
     * How long {@link #close()} lets running handlers finish (default 10 s).
     *
     * @param d not negative
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder shutdownTimeout(Duration d) {
      if (d.isNegative()) {
        throw new IllegalArgumentException("shutdownTimeout=" + d + " must not be negative");
      }
      this.shutdownTimeout = d;
      return this;
    }

    /**
     * The backoff when the server is unreachable: from {@code min}, doubling, up to {@code max},
     * each wait times a random factor in [0.5, 1] (defaults 100 ms and 10 s).
     *
     * @param min the first wait
     * @param max the longest wait
     * @return this builder
     * @throws IllegalArgumentException if min is not positive or max is below min
     */
    public Builder backoff(Duration min, Duration max) {
      if (positive(min, "backoff min").compareTo(max) > 0) {
        throw new IllegalArgumentException("backoff max=" + max + " is below min=" + min);
      }
      this.backoffMin = min;
      this.backoffMax = max;
      return this;
    }

    /**
     * Hears what the worker does.
     *
     * @param l the listener
     * @return this builder
     * @throws NullPointerException if l is null
     */
    public Builder listener(WorkerListener l) {
      this.listener = Objects.requireNonNull(l, "listener");
      return this;
    }

    /**
     * Builds the worker; call {@link Worker#start()} to run it.
     *
     * @return the worker
     * @throws IllegalStateException if no handler is registered, or more than {@link #TASKS_MAX}
     */
    public Worker build() {
      if (handlers.isEmpty()) {
        throw new IllegalStateException(
            "a worker needs at least one handler: call" + " handler(\"task-type\", ctx -> ...)");
      }
      if (handlers.size() > TASKS_MAX) {
        throw new IllegalStateException(
            "a worker has handlers for "
                + handlers.size()
                + " task types; the server accepts at most "
                + TASKS_MAX
                + " per worker; split"
                + " them over several workers");
      }
      if (workerId == null) {
        workerId =
            "worker-"
                + ProcessHandle.current().pid()
                + "-"
                + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 16));
      }
      return new Worker(this);
    }

    private static Duration positive(Duration d, String what) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + "=" + d + " must be positive");
      }
      return d;
    }
  }
}
