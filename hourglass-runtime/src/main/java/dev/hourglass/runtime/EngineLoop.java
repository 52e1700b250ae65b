package dev.hourglass.runtime;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.Command.LeaseJobs;
import dev.hourglass.core.command.Command.Tick;
import dev.hourglass.core.command.LeaseStrategy;
import dev.hourglass.core.command.TraceContext;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.GrantView;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.core.view.WorkerView;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that drives the engine's {@link EngineBackend} (this node's own log, or its Raft
 * group): a shell's callers (HTTP handlers, an embedded API) hand it work through a bounded inbox
 * and wait on a future; the loop answers. It knows no protocol: its refusals are {@link
 * EngineLoopException}s, which each shell maps to its own answers in one place.
 *
 * <p>Implementation notes.
 *
 * <p><b>Group commit.</b> Each turn drains up to {@link LoopLimits#applyBatchMax()} requests (and
 * at most {@link LoopLimits#applyBatchBytesMax()} request bytes), hands all their commands to one
 * {@link EngineBackend#applyAll} (one fsync, or one Raft entry), and only then completes their
 * futures. So every mutating call is answered after its command is durable, and under load the
 * fsync cost is shared.
 *
 * <p><b>Time.</b> The engine has no clock. Before a turn's commands, the loop proposes {@code
 * Tick(now)} when {@link EngineQueries#nextWakeupMillis()} has passed, and it sleeps on the inbox
 * only until that wake-up (or the earliest long-poll deadline), so due jobs, retries, lease
 * expiries, worker deaths and cron firings happen within a few milliseconds without any client
 * call. Ticks are spaced by at least {@link LoopLimits#tickSpacingMin()} and never proposed when
 * nothing is due, so an idle node writes nothing. The clock is the shell's {@link TimeSource}.
 *
 * <p><b>Long polls.</b> A lease that grants nothing and may wait is parked (oldest first). A parked
 * lease waits without writing: it is retried (a logged {@code LeaseJobs}) only when the engine says
 * that lease would get a job now ({@link EngineQueries#wouldGrant}, the lease's own lane choice, so
 * queue and task limits, pauses, the worker's free slots and its queues and task types all count),
 * and only after a turn that could have changed that answer (a job became READY or left RUNNING, or
 * a setting changed: pause, limits, a worker's registration). Those retries are made oldest first
 * while {@link EngineQueries#grantableJobsMax} lasts, so a slot that frees wakes about one poll,
 * not every parked one. A retry that grants nothing (another command of the turn took the job)
 * changes nothing and so triggers nothing: a held-back poll cannot spin through the log. A parked
 * lease whose deadline passes is answered with no assignments.
 *
 * <p>A rate limit is the one thing that frees up by time alone, with no command. A lease held back
 * by one is parked with the time its next token is due ({@link EngineQueries#nextGrantAtMillis});
 * the loop sleeps no longer than that, and at that time checks (read-only, at that time) and
 * retries it. Before then nothing re-runs it, so a rate-limited poll does not spin either.
 *
 * <p><b>Reads</b> run on this thread after the turn's commands, so a read sees every write that was
 * acknowledged before it was sent.
 *
 * <p><b>Replicas.</b> On a replica that is not the leader, {@code applyAll} refuses the batch
 * ({@link EngineLoopException.NotServing}, naming the leader when known): the loop answers the
 * batch with that refusal, answers its parked long polls empty (their workers poll again and are
 * redirected), does not tick, and goes on. When it becomes the leader (and has applied everything
 * committed before), it resumes ticking with its own clock and re-sends the assignments the engine
 * still owes a notification for, as after a restart.
 *
 * <p><b>Failure.</b> If the log fails, the state after the failing batch is unknown: the loop
 * answers every waiting request {@link EngineLoopException.LogFailed}, stops, and {@link
 * #healthy()} turns false. A restart recovers from the log.
 *
 * <p><b>Driven mode.</b> {@link #driven} makes a loop without a thread of its own: the caller pumps
 * it with {@link #step} or {@link #runUntilIdle}, and it never sleeps, so with a manual {@link
 * TimeSource} it reads no clock but that one. A turn is the same method in both modes; the
 * simulator and the stdio node run the loop this way, deterministically, on one thread.
 *
 * <p>Thread-safety: {@link #write}, {@link #read}, {@link #lease} and {@link #healthy} may be
 * called from any thread; everything else runs on the loop thread (in driven mode: the thread that
 * pumps the loop, which must be one thread at a time).
 */
public final class EngineLoop implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(EngineLoop.class);

  /** Work for the loop. */
  private sealed interface Work permits Write, Read, Lease, Stop {}

  private record Write<R>(
      Command command,
      BiFunction<Outcome, EngineQueries, R> finish,
      CompletableFuture<R> reply,
      long bytes)
      implements Work {
    void answer(Outcome outcome, EngineQueries queries) {
      try {
        reply.complete(finish.apply(outcome, queries));
      } catch (RuntimeException e) {
        reply.completeExceptionally(e);
      }
    }
  }

  private record Read<T>(Function<EngineQueries, T> query, CompletableFuture<T> reply)
      implements Work {
    void answer(EngineQueries queries) {
      try {
        reply.complete(query.apply(queries));
      } catch (RuntimeException e) {
        reply.completeExceptionally(e);
      }
    }
  }

  /**
   * A job handed to a worker. {@code redelivered} marks an assignment made before a restart that
   * the worker had not confirmed (by heartbeat or report): the notification may never have reached
   * it, so it is sent again, same generation; a worker already running it ignores the copy. {@code
   * attempt} is the job's failures so far + 1; {@code trace} its submitter's trace context, or
   * null.
   */
  public record Assignment(
      String jobId,
      int generation,
      String task,
      String queue,
      String payload,
      long leaseExpiresAtMillis,
      boolean redelivered,
      int attempt,
      TraceContext trace) {}

  /** A lease request; parked (kept) between turns while it waits. */
  private static final class Lease implements Work {
    final String workerId;
    final int max;
    final List<String> queues;
    final List<String> tasks;
    final long leaseMillis;
    final long deadlineNanos;
    final LeaseStrategy strategy;
    final CompletableFuture<List<Assignment>> reply = new CompletableFuture<>();

    /**
     * While parked: when a rate limit that holds it back has a token again (wall millis), so the
     * loop retries it then; {@code Long.MAX_VALUE} when only another command can help it.
     */
    long wakeAtMillis = Long.MAX_VALUE;

    Lease(
        String workerId,
        int max,
        List<String> queues,
        List<String> tasks,
        long leaseMillis,
        long deadlineNanos,
        LeaseStrategy strategy) {
      this.workerId = workerId;
      this.max = max;
      this.queues = queues;
      this.tasks = tasks;
      this.leaseMillis = leaseMillis;
      this.deadlineNanos = deadlineNanos;
      this.strategy = strategy;
    }

    LeaseJobs command(long now) {
      return command(now, max);
    }

    LeaseJobs command(long now, int upTo) {
      return new LeaseJobs(now, workerId, upTo, queues, leaseMillis, tasks, strategy);
    }
  }

  private record Stop() implements Work {}

  private final EngineBackend backend;
  private final LoopLimits limits;
  private final EngineLoopListener metrics;
  private final TimeSource time;
  private final ArrayBlockingQueue<Work> inbox;
  private final ArrayDeque<Lease> parked = new ArrayDeque<>();

  /** The loop thread, or null for a driven loop. */
  private final Thread thread;

  /** The batch list the loop reuses between turns; confined to the loop (or pumping) thread. */
  private final List<Work> batch = new ArrayList<>();

  private volatile boolean healthy = true;
  private volatile boolean accepting = true;
  private volatile boolean releaseParked;

  /**
   * Set once the loop takes no more work, just before its last pass over the inbox. Why: a caller
   * can pass the open check in {@link #offer} and be descheduled until the loop has stopped; its
   * request then lands in an inbox nobody reads. An offer that reads this false is seen by that
   * last pass (set before it); one that reads it true fails the inbox itself.
   */
  private volatile boolean finished;

  private long lastTickMillis = Long.MIN_VALUE / 2;
  private boolean retryParked;

  /** Whether the previous turn was allowed to tick (a replica: was the ready leader). */
  private boolean wasTicking;

  /**
   * Assignments the engine still owes a notification for when this node started (recovered from the
   * log) or became the leader, by worker: each is re-sent once, with that worker's next lease. Loop
   * thread.
   */
  private final Map<String, List<Outcome.Assignment>> owedAfterRecovery = new HashMap<>();

  // --------------------------------------------------------------- applied-events listener

  /** Hears the events of every applied command, on the loop thread; must not block or throw. */
  public interface AppliedListener {
    void applied(List<Event> events, EngineQueries queries);
  }

  private volatile AppliedListener appliedListener = (events, queries) -> {};

  /** Sets the one listener of applied events (the lease signals); safe at any time. */
  public void onApplied(AppliedListener listener) {
    this.appliedListener = listener;
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * A loop over {@code backend}; call {@link #start}. The backend stays the caller's: {@link
   * #close} stops the loop, not the backend.
   */
  public EngineLoop(
      EngineBackend backend, LoopLimits limits, EngineLoopListener metrics, TimeSource time) {
    this(backend, limits, metrics, time, true);
  }

  private EngineLoop(
      EngineBackend backend,
      LoopLimits limits,
      EngineLoopListener metrics,
      TimeSource time,
      boolean threaded) {
    this.backend = backend;
    this.limits = limits;
    this.metrics = metrics;
    this.time = time;
    this.inbox = new ArrayBlockingQueue<>(limits.inboxCapacity());
    this.thread =
        threaded ? Thread.ofPlatform().name("hourglass-apply").unstarted(this::run) : null;
  }

  /**
   * A loop without a thread: nothing happens until the caller calls {@link #step} or {@link
   * #runUntilIdle}, on one thread at a time. It never sleeps and reads only {@code time}, so a
   * manual clock makes it deterministic. {@link #close} answers what is queued and stops it.
   */
  public static EngineLoop driven(
      EngineBackend backend, LoopLimits limits, EngineLoopListener metrics, TimeSource time) {
    return new EngineLoop(backend, limits, metrics, time, false);
  }

  /** Called when this node starts serving with ticks: after recovery, or on becoming leader. */
  private void collectOwedNotifications() {
    owedAfterRecovery.clear();
    backend.read(
        q -> {
          for (var owed : q.unacknowledgedAssignments()) {
            owedAfterRecovery.computeIfAbsent(owed.workerId(), w -> new ArrayList<>()).add(owed);
          }
          return null;
        });
    if (!owedAfterRecovery.isEmpty()) {
      log.info(
          "assignments owed a notification: workers={} jobs={}; each is re-sent with its"
              + " worker's next lease",
          owedAfterRecovery.size(),
          owedAfterRecovery.values().stream().mapToInt(List::size).sum());
    }
  }

  public void start() {
    if (thread == null) {
      throw new IllegalStateException(
          "a driven loop has no thread to start; call step() or" + " runUntilIdle() instead");
    }
    thread.start();
  }

  /** Whether the loop runs (a driven one: was not closed) and its log has not failed. */
  public boolean healthy() {
    return healthy && (thread == null ? accepting : thread.isAlive());
  }

  /** Long polls parked now (racy outside the loop thread). */
  public int parkedCount() {
    return parked.size(); // racy read, for metrics only
  }

  /** Applies one command durably, then computes the reply on the loop thread. */
  public <R> CompletableFuture<R> write(
      Command command, long bytes, BiFunction<Outcome, EngineQueries, R> finish) {
    var w = new Write<>(command, finish, new CompletableFuture<R>(), bytes);
    offer(w);
    return w.reply();
  }

  /** Answers a question on the loop thread, after the writes queued before it. */
  public <T> CompletableFuture<T> read(Function<EngineQueries, T> query) {
    var r = new Read<>(query, new CompletableFuture<T>());
    offer(r);
    return r.reply();
  }

  /** How many assignments are owed to the worker since a restart (each may have ended since). */
  private int owedTo(String workerId) {
    List<Outcome.Assignment> owed = owedAfterRecovery.get(workerId);
    return owed == null ? 0 : owed.size();
  }

  /**
   * The assignments owed to {@code workerId} since recovery that are still its live, unconfirmed
   * leases (one it already heartbeated, completed or lost is not re-sent), each only once, at most
   * {@code limit}; the rest stay owed to its next lease.
   */
  private List<Assignment> redeliveries(String workerId, EngineQueries queries, int limit) {
    List<Assignment> out = new ArrayList<>();
    List<Outcome.Assignment> owed = owedAfterRecovery.remove(workerId);
    if (owed == null) {
      return out;
    }
    for (int i = 0; i < owed.size(); i++) {
      if (out.size() >= limit) {
        // A lease answers at most its max: the rest stay owed to the worker's next lease.
        owedAfterRecovery.put(workerId, new ArrayList<>(owed.subList(i, owed.size())));
        break;
      }
      Outcome.Assignment o = owed.get(i);
      JobView job = queries.job(o.jobId()).orElse(null);
      var live = job == null ? null : job.liveAttempt();
      // Only the very assignment that was owed: if that lease ended and the job was granted
      // again (even to this worker, even in this lease), the new grant is news, not a copy.
      if (live != null
          && live.workerId().equals(workerId)
          && !live.acknowledged()
          && live.generation() == o.generation()) {
        out.add(
            new Assignment(
                o.jobId(),
                job.generation(),
                job.task(),
                job.queue(),
                job.payload(),
                live.leaseExpiresAtMillis(),
                true,
                job.failures() + 1,
                job.trace()));
      }
    }
    return out;
  }

  /**
   * Leases up to {@code max} jobs of the given task types (empty: the worker's registered ones),
   * waiting up to {@code waitMillis} for one to become ready. Completes with no assignments at the
   * deadline; exceptionally with {@link EngineLoopException.Rejected} when the engine refuses.
   *
   * @throws EngineLoopException.Overloaded when the inbox is full
   * @throws EngineLoopException.Stopped when the loop is stopping or stopped
   */
  public CompletableFuture<List<Assignment>> lease(
      String workerId,
      int max,
      List<String> queues,
      List<String> tasks,
      long leaseMillis,
      long waitMillis) {
    return lease(workerId, max, queues, tasks, leaseMillis, waitMillis, LeaseStrategy.PRIORITY);
  }

  /**
   * {@link #lease(String, int, List, List, long, long)} dividing the grants over the queues by
   * {@code strategy}.
   *
   * @throws EngineLoopException.Overloaded when the inbox is full
   * @throws EngineLoopException.Stopped when the loop is stopping or stopped
   */
  public CompletableFuture<List<Assignment>> lease(
      String workerId,
      int max,
      List<String> queues,
      List<String> tasks,
      long leaseMillis,
      long waitMillis,
      LeaseStrategy strategy) {
    var l =
        new Lease(
            workerId,
            max,
            queues,
            tasks,
            leaseMillis,
            time.monotonicNanos() + TimeUnit.MILLISECONDS.toNanos(waitMillis),
            strategy);
    offer(l);
    return l.reply;
  }

  private void offer(Work work) {
    if (!accepting || !healthy) {
      throw new EngineLoopException.Stopped(
          "the engine loop is stopping or its log failed; the"
              + " request was not applied; retry against a healthy node");
    }
    if (!inbox.offer(work)) {
      metrics.overloaded();
      throw new EngineLoopException.Overloaded(
          ("apply queue full: inboxCapacity=%d; the request"
                  + " was not applied; retry after a short backoff")
              .formatted(limits.inboxCapacity()));
    }
    if (finished) {
      failQueued(); // the loop stopped after the check above: refuse what it will never read
    }
  }

  /** Answers every parked long poll now (empty) and stops parking: the first step of shutdown. */
  public void releaseParkedLeases() {
    releaseParked = true;
    inbox.offer(new Read<>(q -> null, new CompletableFuture<>())); // wakes the loop
  }

  /** Stops accepting, lets the loop finish what is queued, and waits for it to end. */
  @Override
  public void close() throws InterruptedException {
    releaseParked = true;
    accepting = false;
    if (thread == null) {
      if (healthy) {
        runUntilIdle();
        answerParked();
      }
      finishAndFailQueued();
      return;
    }
    while (thread.isAlive() && !inbox.offer(new Stop(), 10, TimeUnit.MILLISECONDS)) {
      // the loop drains the inbox, so room appears unless it died
    }
    thread.join(limits.replyTimeout().toMillis());
  }

  // ---------------------------------------------------------------------------------------------
  // The loop thread

  private void run() {
    try {
      boolean stop = false;
      while (!stop) {
        Work first = retryParked ? inbox.poll() : inbox.poll(waitNanos(), TimeUnit.NANOSECONDS);
        stop = drainAndTurn(first);
      }
      answerParked();
      log.info("apply loop stopped: position={}", backend.position());
    } catch (IOException | RuntimeException | Error e) {
      failed(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      healthy = false;
      fail(batch);
    } finally {
      healthy = healthy && accepting;
      finishAndFailQueued();
    }
  }

  /**
   * The loop body of both modes: takes {@code first} and what else the inbox holds (up to the batch
   * bounds) into {@link #batch}, and runs one turn over it. Returns whether a {@link Stop} was
   * taken.
   */
  private boolean drainAndTurn(Work first) throws IOException {
    batch.clear();
    boolean stop = false;
    long bytes = 0;
    for (Work w = first; w != null; ) {
      if (w instanceof Stop) {
        stop = true;
        break;
      }
      batch.add(w);
      bytes += w instanceof Write<?> wr ? wr.bytes() : 0;
      if (batch.size() >= limits.applyBatchMax() || bytes >= limits.applyBatchBytesMax()) {
        break;
      }
      w = inbox.poll();
    }
    turn(batch);
    return stop;
  }

  private void failed(Throwable e) {
    healthy = false;
    log.error(
        "apply loop failed; the node refuses every request until restarted, which"
            + " recovers from the log: position={}",
        backend.position(),
        e);
    fail(batch);
  }

  // ---------------------------------------------------------------------------------------------
  // Driven mode: the caller's thread pumps the loop

  /**
   * Runs one turn of a {@link #driven} loop if there is anything to do: queued requests, parked
   * leases to retry or whose deadline passed, or a due tick. Returns whether it ran one. After a
   * log failure it does nothing and {@link #healthy} is false, as a threaded loop would stop.
   *
   * @throws IllegalStateException on a threaded loop
   */
  public boolean step() {
    if (thread != null) {
      throw new IllegalStateException("step() drives a driven loop; this one has its own thread");
    }
    if (!healthy) {
      return false;
    }
    Work first = inbox.poll();
    long now = time.wallMillis();
    if (first == null
        && !retryParked
        && !(backend.mayTick() && tickDue(now))
        && !parkedDeadlinePassed()) {
      return false;
    }
    try {
      drainAndTurn(first);
    } catch (IOException | RuntimeException | Error e) {
      failed(e);
      finishAndFailQueued();
    }
    return true;
  }

  /**
   * Runs turns of a {@link #driven} loop until it has nothing left to do at the clock's current
   * time; returns how many it ran.
   *
   * @throws IllegalStateException if it does not settle within {@link #DRIVEN_TURNS_MAX} turns
   */
  public int runUntilIdle() {
    int turns = 0;
    while (step()) {
      if (++turns > DRIVEN_TURNS_MAX) {
        throw new IllegalStateException(
            ("the driven loop did not settle: turns=%d bound=%d"
                    + " nowMillis=%d parked=%d; something keeps it busy at a frozen clock")
                .formatted(turns, DRIVEN_TURNS_MAX, time.wallMillis(), parked.size()));
      }
    }
    return turns;
  }

  /**
   * Why: at a frozen clock each turn either empties part of the bounded inbox or settles a tick or
   * a retry that cannot repeat; far more turns than the inbox holds means a loop that spins.
   */
  static final int DRIVEN_TURNS_MAX = 1_000_000;

  private boolean parkedDeadlinePassed() {
    Lease oldest = earliestDeadline();
    return oldest != null && (releaseParked || oldest.deadlineNanos - time.monotonicNanos() <= 0);
  }

  /** Whether a tick at {@code now} is due: something is due and ticks are spaced enough. */
  private boolean tickDue(long now) {
    return backend.read(EngineQueries::nextWakeupMillis) <= now
        && now - lastTickMillis >= limits.tickSpacingMin().toMillis();
  }

  /**
   * How long the loop may sleep: until the next tick is due, a parked lease ends, or idle max. A
   * replica that may not tick wakes every {@link #LEADERSHIP_POLL_MILLIS} to notice that it became
   * the leader.
   */
  private long waitNanos() {
    long now = time.wallMillis();
    long wake =
        backend.mayTick()
            ? Math.max(
                backend.read(EngineQueries::nextWakeupMillis),
                lastTickMillis + limits.tickSpacingMin().toMillis())
            : now + LEADERSHIP_POLL_MILLIS;
    long nanos =
        Math.min(
            limits.idleWakeMax().toNanos(), TimeUnit.MILLISECONDS.toNanos(Math.max(0, wake - now)));
    Lease oldest = earliestDeadline();
    if (oldest != null) {
      nanos = Math.min(nanos, Math.max(0, oldest.deadlineNanos - time.monotonicNanos()));
    }
    long tokenAt = earliestWake();
    if (tokenAt != Long.MAX_VALUE) {
      nanos = Math.min(nanos, TimeUnit.MILLISECONDS.toNanos(Math.max(0, tokenAt - now)));
    }
    return nanos;
  }

  /** The earliest time a parked poll held back by a rate limit may be granted (wall millis). */
  private long earliestWake() {
    long min = Long.MAX_VALUE;
    for (Lease l : parked) {
      min = Math.min(min, l.wakeAtMillis);
    }
    return min;
  }

  private static final long LEADERSHIP_POLL_MILLIS = 10;

  private Lease earliestDeadline() {
    Lease min = null;
    for (Lease l : parked) {
      if (min == null || l.deadlineNanos < min.deadlineNanos) {
        min = l;
      }
    }
    return min;
  }

  /** One group commit: tick if due, retried parked leases, the batch's commands; then answers. */
  private void turn(List<Work> batch) throws IOException {
    long now = time.wallMillis();
    boolean ticking = backend.mayTick();
    if (ticking && !wasTicking) {
      collectOwedNotifications();
    }
    wasTicking = ticking;
    if (!parked.isEmpty() && !backend.leadership().serving()) {
      // A replica that lost its leadership (an election, a transfer) may see no request that it
      // would refuse; its parked polls would otherwise wait out their deadline while the new
      // leader has jobs. Answered empty, their workers poll again and are sent to the leader.
      answerParked();
      retryParked = false;
    }
    List<Command> commands = new ArrayList<>(batch.size() + 1);
    List<Work> owners = new ArrayList<>(batch.size() + 1);
    if (ticking && tickDue(now)) {
      commands.add(new Tick(now));
      owners.add(null);
      lastTickMillis = now;
    }
    addParkedRetries(commands, owners, now);
    List<Read<?>> reads = new ArrayList<>();
    List<Lease> owedOnly = new ArrayList<>();
    boolean parkUnlogged = ticking && !changesWorkers(batch);
    for (Work w : batch) {
      switch (w) {
        case Write<?> wr -> {
          commands.add(wr.command());
          owners.add(wr);
        }
        case Lease l -> {
          // Assignments owed since a restart are answered first and count against max.
          int owed = owedTo(l.workerId);
          if (owed > 0 && owed >= l.max) {
            owedOnly.add(l);
          } else if (parkUnlogged && backend.read(q -> mayParkUnlogged(l, q, now))) {
            l.wakeAtMillis = backend.read(q -> wakeAt(q, l, now));
            parked.addLast(l);
          } else {
            commands.add(l.command(now, l.max - owed));
            owners.add(l);
          }
        }
        case Read<?> r -> reads.add(r);
        case Stop s -> throw new IllegalStateException("stop is handled by the caller");
      }
    }
    if (!commands.isEmpty()) {
      long start = time.monotonicNanos();
      int batchSize = commands.size();
      var followUp = new ParkedFollowUp(commands, owners, now);
      List<Outcome> applied;
      try {
        applied = backend.applyAll(commands, followUp::leasesServedBy);
      } catch (EngineLoopException refused) {
        // A replica that is not the leader, or no majority: nothing here was applied (or, after a
        // commit timeout, the outcome is unknown, as the refusal says). The node goes on.
        refuse(owners, refused);
        applied = null;
      } catch (IOException | RuntimeException | Error e) {
        followUp.parkAgain(); // so that the failure is answered to them too
        throw e;
      }
      commands.addAll(followUp.commands);
      owners.addAll(followUp.owners);
      List<Outcome> outcomes = applied;
      if (outcomes != null) {
        metrics.batchApplied(commands.size(), time.monotonicNanos() - start);
        int readyFrom = followUp.ran ? batchSize : 0;
        backend.read(
            q -> {
              answer(commands, owners, outcomes, q, now, readyFrom);
              return null;
            });
      }
    }
    expireParked();
    backend.read(
        q -> {
          for (Lease l : owedOnly) {
            l.reply.complete(redeliveries(l.workerId, q, l.max));
          }
          for (Read<?> r : reads) {
            r.answer(q);
          }
          return null;
        });
  }

  /**
   * Whether {@code l} may park without a log record: it may wait, the engine would grant it nothing
   * now, the engine would accept it, its worker is registered and alive and was last heard from
   * within half its heartbeat timeout, and nothing is owed to that worker. Such a lease would
   * change nothing but its worker's last-seen time, which cannot matter to its liveness yet; it is
   * logged when it is granted (a retry of the parked poll), and a poll that waits out its deadline
   * logs nothing, as before. Why: under steady load a worker polls again after every grant, and a
   * logged poll that grants nothing costs a force of the log that the next submit would wait
   * behind. Read-only; O(lanes of its queues).
   */
  private boolean mayParkUnlogged(Lease l, EngineQueries q, long now) {
    if (releaseParked
        || l.deadlineNanos - time.monotonicNanos() <= 0
        || parked.size() >= limits.parkedLeasesMax()
        || owedAfterRecovery.containsKey(l.workerId)
        || l.max < 1
        || l.max > EngineConfig.LEASE_BATCH_MAX
        || l.leaseMillis < 0) {
      return false;
    }
    WorkerView w = q.worker(l.workerId).orElse(null);
    return w != null
        && w.alive()
        && now - w.lastSeenMillis() < w.heartbeatTimeoutMillis() / 2
        && (l.tasks.isEmpty() || l.tasks.equals(w.tasks()))
        && q.wouldGrant(l.workerId, l.max, l.queues, l.tasks, now) == 0;
  }

  /**
   * Whether the batch registers or deregisters a worker: then its leases are logged as before, so
   * that a lease after its worker's deregistration registers it again, in order.
   */
  private static boolean changesWorkers(List<Work> batch) {
    for (Work w : batch) {
      if (w instanceof Write<?> wr
          && (wr.command() instanceof Command.RegisterWorker
              || wr.command() instanceof Command.DeregisterWorker)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Adds the parked leases worth retrying this turn: after a turn that could have freed a job for
   * them, or when a rate limit holding one back has its next token.
   */
  private void addParkedRetries(List<Command> commands, List<Work> owners, long now) {
    boolean tokenDue = !parked.isEmpty() && earliestWake() <= now;
    if (retryParked || tokenDue) {
      retryParked = false;
      for (Lease l : backend.read(q -> chooseParkedToRetry(q, now, tokenDue))) {
        commands.add(l.command(now));
        owners.add(l);
      }
    }
  }

  private void refuse(List<Work> owners, EngineLoopException refused) {
    for (Work w : owners) {
      if (w != null) {
        failOne(w, refused);
      }
    }
    if (!backend.leadership().serving()) {
      answerParked(); // their workers poll again and are sent to the leader
    }
  }

  /**
   * Answers every command's owner. {@code readyFrom}: the first command whose effect may let a
   * parked lease succeed now; the ones before it were already weighed by a {@link ParkedFollowUp}
   * in the same durable step.
   */
  private void answer(
      List<Command> commands,
      List<Work> owners,
      List<Outcome> outcomes,
      EngineQueries queries,
      long now,
      int readyFrom) {
    boolean madeReady = false;
    for (int i = 0; i < outcomes.size(); i++) {
      Outcome outcome = outcomes.get(i);
      if (outcome instanceof Applied a) {
        metrics.events(a.events(), now);
        appliedListener.applied(a.events(), queries);
        madeReady |= i >= readyFrom && mayServeParked(commands.get(i), owners.get(i), a.events());
      }
      switch (owners.get(i)) {
        case null -> {}
        case Write<?> wr -> wr.answer(outcome, queries);
        case Lease l -> answerLease(l, outcome, queries, now);
        case Read<?> r -> throw new IllegalStateException("reads carry no command");
        case Stop s -> throw new IllegalStateException("stop carries no command");
      }
    }
    retryParked = madeReady && !parked.isEmpty();
  }

  /**
   * Whether, after this command, a parked lease might succeed: the engine's state changed in a way
   * lane choice reads, or a lease got jobs (it may have been counted, when it was chosen, as taking
   * more of the grantable jobs than it did, since wouldGrant is bounded by its free slots and not
   * by the jobs in its lanes, leaving a parked lease for another queue unchosen).
   */
  private static boolean mayServeParked(Command command, Work owner, List<Event> events) {
    return mayUnblockParkedLeases(command, events)
        || (owner instanceof Lease && grantedAny(events));
  }

  /**
   * The parked long polls that a batch just applied lets the engine serve, chosen after the batch
   * applied and before it is durable, so that their leases join the batch's group commit (one fsync
   * from a submit to the waiting worker's grant instead of two). Their answers go out with the
   * batch's, after the commit. Only a backend that commits both together calls it.
   */
  private final class ParkedFollowUp {
    private final List<Command> batch;
    private final List<Work> batchOwners;
    private final long now;
    final List<Command> commands = new ArrayList<>();
    final List<Work> owners = new ArrayList<>();
    boolean ran;

    ParkedFollowUp(List<Command> batch, List<Work> batchOwners, long now) {
      this.batch = batch;
      this.batchOwners = batchOwners;
      this.now = now;
    }

    List<Command> leasesServedBy(List<Outcome> outcomes) {
      ran = true;
      if (parked.isEmpty() || !madeReady(outcomes)) {
        return List.of();
      }
      for (Lease l : backend.read(q -> chooseParkedToRetry(q, now, false))) {
        commands.add(l.command(now));
        owners.add(l);
      }
      return commands;
    }

    private boolean madeReady(List<Outcome> outcomes) {
      for (int i = 0; i < outcomes.size(); i++) {
        if (outcomes.get(i) instanceof Applied a
            && mayServeParked(batch.get(i), batchOwners.get(i), a.events())) {
          return true;
        }
      }
      return false;
    }

    /** The step failed: its leases wait with the other parked ones for the failure's answer. */
    void parkAgain() {
      for (Work w : owners) {
        parked.addLast((Lease) w);
      }
    }
  }

  private static boolean grantedAny(List<Event> events) {
    for (Event e : events) {
      if (e instanceof LeaseGranted) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether a parked lease might now succeed: a job became READY; a job left RUNNING (a queue or
   * task concurrency slot, or a worker's capacity, was freed); or a command changed a setting that
   * lane choice reads (a queue resumed, a limit raised, a worker re-registered with more capacity
   * or other queues or task types). A false positive costs only a read-only check
   * (chooseParkedToRetry); a false negative leaves a worker waiting out its whole wait_ms next to a
   * job it could run. A lease that granted nothing, a heartbeat or an acknowledgement changes
   * nothing that lane choice reads, so it never triggers a retry: that is what keeps a held-back
   * poll from spinning.
   */
  private static boolean mayUnblockParkedLeases(Command command, List<Event> events) {
    if (command instanceof Command.SetQueuePaused
        || command instanceof Command.SetQueueConcurrency
        || command instanceof Command.SetTaskConcurrency
        || command instanceof Command.RegisterWorker
        || command instanceof Command.SetQueueRate
        || command instanceof Command.SetTaskRate
        || command instanceof Command.SetQueueFairness
        || command instanceof Command.SetQueueWeight) {
      return true;
    }
    for (Event e : events) {
      if (e instanceof JobTransitioned t
          && (t.to() == JobState.READY || t.from() == JobState.RUNNING)) {
        return true;
      }
    }
    return false;
  }

  private void answerLease(Lease l, Outcome outcome, EngineQueries queries, long now) {
    switch (outcome) {
      case Rejected r ->
          l.reply.completeExceptionally(new EngineLoopException.Rejected(r.code(), r.detail()));
      case Applied a -> {
        List<Assignment> granted = redeliveries(l.workerId, queries, l.max);
        for (Event e : a.events()) {
          if (e instanceof LeaseGranted g) {
            GrantView job = Objects.requireNonNull(queries.grant(g.jobId()), g.jobId());
            granted.add(
                new Assignment(
                    g.jobId(),
                    g.generation(),
                    g.task(),
                    job.queue(),
                    job.payload(),
                    g.leaseExpiresAtMillis(),
                    false,
                    job.failures() + 1,
                    job.trace()));
          }
        }
        if (!granted.isEmpty() || l.deadlineNanos - time.monotonicNanos() <= 0 || releaseParked) {
          l.reply.complete(granted);
        } else if (parked.size() >= limits.parkedLeasesMax()) {
          metrics.overloaded();
          l.reply.completeExceptionally(
              new EngineLoopException.Overloaded(
                  ("too many parked long"
                          + " polls: parkedLeasesMax=%d worker=%s; nothing was leased; poll again after a short"
                          + " backoff")
                      .formatted(limits.parkedLeasesMax(), l.workerId)));
        } else {
          l.wakeAtMillis = wakeAt(queries, l, now);
          parked.addLast(l);
        }
      }
    }
  }

  /**
   * Parked leases worth retrying, oldest first: those the engine says would get a job now, while
   * the jobs that could be granted last (each chosen lease counts as taking as many as it could).
   * Removed from {@link #parked}; a retry that still grants nothing parks again at the back.
   * Read-only; O(lanes) when nothing can be granted, else O(parked x lanes of their queues).
   */
  private List<Lease> chooseParkedToRetry(EngineQueries queries, long now, boolean tokenDue) {
    List<Lease> chosen = new ArrayList<>();
    long grantable = queries.grantableJobsMax();
    for (Iterator<Lease> it = parked.iterator(); it.hasNext() && (grantable > 0 || tokenDue); ) {
      Lease l = it.next();
      if (grantable > 0) {
        int would = queries.wouldGrant(l.workerId, l.max, l.queues, l.tasks, now);
        if (would > 0) {
          it.remove();
          chosen.add(l);
          grantable -= would;
          continue;
        }
      }
      if (l.wakeAtMillis <= now) {
        l.wakeAtMillis = wakeAt(queries, l, now);
      }
    }
    return chosen;
  }

  /**
   * When a parked poll that got nothing at {@code now} should be retried without any other command:
   * when a rate limit holding it back has its next token. Never {@code now} or earlier (that poll
   * can run now and was only outrun by others in its turn, which the granting lease itself
   * retries), so a poll that cannot be granted is never re-run in a loop.
   */
  private static long wakeAt(EngineQueries queries, Lease l, long now) {
    long at = queries.nextGrantAtMillis(l.workerId, l.queues, l.tasks, now);
    return at <= now ? Long.MAX_VALUE : at;
  }

  private void expireParked() {
    long now = time.monotonicNanos();
    for (Iterator<Lease> it = parked.iterator(); it.hasNext(); ) {
      Lease l = it.next();
      if (releaseParked || l.deadlineNanos - now <= 0) {
        it.remove();
        l.reply.complete(List.of());
      }
    }
  }

  private void answerParked() {
    for (Lease l : parked) {
      l.reply.complete(List.of());
    }
    parked.clear();
  }

  private void fail(List<Work> batch) {
    var e =
        new EngineLoopException.LogFailed(
            "the log failed while this request waited; it may"
                + " or may not have been applied; check its effect after the node restarts");
    for (Work w : batch) {
      failOne(w, e);
    }
    for (Lease l : parked) {
      l.reply.completeExceptionally(e);
    }
    parked.clear();
  }

  /** Takes no more work and refuses what is queued; see {@link #finished}. */
  private void finishAndFailQueued() {
    finished = true;
    failQueued();
  }

  private void failQueued() {
    var e =
        new EngineLoopException.Stopped(
            "the engine loop stopped before applying this"
                + " request; it was not applied; retry against a running node");
    for (Work w; (w = inbox.poll()) != null; ) {
      failOne(w, e);
    }
  }

  private static void failOne(Work w, EngineLoopException e) {
    switch (w) {
      case Write<?> wr -> wr.reply().completeExceptionally(e);
      case Read<?> r -> r.reply().completeExceptionally(e);
      case Lease l -> l.reply.completeExceptionally(e);
      case Stop s -> {}
    }
  }
}
