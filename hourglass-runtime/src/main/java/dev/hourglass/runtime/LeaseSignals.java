package dev.hourglass.runtime;

import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Event.LeaseLost;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.LeaseEnd;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Long-polled lease signals (the server's {@code POST /api/v1/workers/{id}/signals}): a worker
 * names the leases it holds and waits; the answer comes as soon as one of its leases is cancelled
 * or times out, or empty at its wait's end. This is how a handler learns of a cancel within
 * milliseconds rather than at its next heartbeat.
 *
 * <p>Implementation notes.
 *
 * <p><b>Reads only.</b> A signal poll writes nothing to the log: it registers a waiter, then checks
 * the named leases with a read on the apply loop (so a lease that ended before the poll is answered
 * at once), and afterwards is woken by {@link #applied}, which the loop calls with every applied
 * command's events. The waiter is registered before the read, so an end applied between the two is
 * seen by one or the other.
 *
 * <p><b>What wakes a waiter.</b> A {@code LeaseLost} event (a timeout among others) or a RUNNING
 * job moving to CANCELLED, for a lease held by the waiter's worker, named in its poll or not (a job
 * granted after the poll was sent is covered too). Only cancels and timeouts are answered: other
 * losses are left to the heartbeat's 409, as before, so a worker never re-polls in a loop over a
 * lease it has lost. No timer per job: one timeout per parked poll.
 *
 * <p><b>Bounds.</b> One parked poll per worker (a newer one answers the older empty), for
 * registered workers only, and at most {@link #WAITERS_MAX} in all.
 *
 * <p>Thread-safety: {@link #await} from any thread; {@link #applied} on the loop thread, or on a
 * replica's applier thread with the partition's engine locked (for what other replicas proposed).
 */
public final class LeaseSignals {
  private static final Logger log = LoggerFactory.getLogger(LeaseSignals.class);

  /**
   * Why: a parked poll holds a future and a connection; past this many the server refuses new ones
   * ({@link EngineLoopException.Overloaded}) rather than grow without bound. Far above any
   * realistic count of workers.
   */
  public static final int WAITERS_MAX = 100_000;

  /** A lease a worker says it holds. */
  public record Held(String jobId, int generation) {}

  private static final class Waiter {
    final List<Held> held;
    final CompletableFuture<List<LeaseEnd>> reply = new CompletableFuture<>();

    Waiter(List<Held> held) {
      this.held = held;
    }
  }

  private final EngineLoop loop;
  private final ConcurrentHashMap<String, Waiter> byWorker = new ConcurrentHashMap<>();

  /** Signals fed by {@code loop}'s applied events; registers itself as its one listener. */
  public LeaseSignals(EngineLoop loop) {
    this.loop = loop;
    loop.onApplied(this::applied);
  }

  /** Parked signal polls now (racy, for stats). */
  public int parkedCount() {
    return byWorker.size();
  }

  /**
   * Waits up to {@code waitMillis} for a lease of {@code workerId} to be cancelled or time out.
   * Completes with those leases' ends, or empty at the deadline (or when a newer poll of the same
   * worker replaces this one); exceptionally with {@link EngineLoopException.Rejected} ({@code
   * UNKNOWN_WORKER}) for a worker that is not registered.
   *
   * @throws EngineLoopException.Overloaded when {@link #WAITERS_MAX} polls are parked or the loop
   *     is full
   */
  public CompletableFuture<List<LeaseEnd>> await(
      String workerId, List<Held> held, long waitMillis) {
    if (byWorker.size() >= WAITERS_MAX && !byWorker.containsKey(workerId)) {
      throw new EngineLoopException.Overloaded(
          ("too many parked signal polls: waitersMax=%d;" + " poll again after a short backoff")
              .formatted(WAITERS_MAX));
    }
    Waiter w = new Waiter(List.copyOf(held));
    Waiter previous = byWorker.put(workerId, w);
    if (previous != null) {
      previous.reply.complete(List.of());
    }
    w.reply.whenComplete((r, e) -> byWorker.remove(workerId, w));
    CompletableFuture<List<LeaseEnd>> check;
    try {
      check = loop.read(q -> ended(q, workerId, w.held));
    } catch (EngineLoopException e) {
      byWorker.remove(workerId, w);
      throw e;
    }
    check.whenComplete(
        (ends, e) -> {
          if (e != null) {
            w.reply.completeExceptionally(e);
          } else if (!ends.isEmpty()) {
            w.reply.complete(ends);
          } else {
            // The wait starts once the check has answered, so a refusal is never hidden by it.
            w.reply.completeOnTimeout(List.of(), waitMillis, TimeUnit.MILLISECONDS);
          }
        });
    return w.reply;
  }

  /** Loop thread: the named leases that were cancelled or timed out. */
  private static List<LeaseEnd> ended(EngineQueries q, String workerId, List<Held> held) {
    if (!q.workerKnown(workerId)) {
      throw new EngineLoopException.Rejected(
          ErrorCode.UNKNOWN_WORKER,
          "no worker "
              + workerId
              + " is registered; register it (or lease, which registers it) first");
    }
    List<LeaseEnd> out = new ArrayList<>();
    for (Held h : held) {
      q.leaseEnded(h.jobId(), workerId, h.generation())
          .filter(LeaseSignals::signalled)
          .ifPresent(out::add);
    }
    return out;
  }

  private static boolean signalled(LeaseEnd end) {
    return end.kind() == LeaseEnd.Kind.CANCELLED || end.kind() == LeaseEnd.Kind.TIMED_OUT;
  }

  /**
   * After each applied command (loop thread, or a replica's applier): wakes the polls whose leases
   * it ended.
   */
  void applied(List<Event> events, EngineQueries q) {
    if (byWorker.isEmpty()) {
      return;
    }
    Map<Waiter, List<LeaseEnd>> woken = null;
    try {
      for (Event e : events) {
        LeaseEnd end = null;
        String worker = null;
        if (e instanceof LeaseLost l) {
          worker = l.workerId();
          end =
              byWorker.containsKey(worker)
                  ? q.leaseEnded(l.jobId(), worker, l.generation()).orElse(null)
                  : null;
        } else if (e instanceof JobTransitioned t
            && t.from() == JobState.RUNNING
            && t.to() == JobState.CANCELLED) {
          var holder = q.lastAssignment(t.jobId()).orElse(null);
          worker = holder == null ? null : holder.workerId();
          end =
              holder == null || !byWorker.containsKey(worker)
                  ? null
                  : q.leaseEnded(t.jobId(), worker, holder.generation()).orElse(null);
        }
        Waiter w = worker == null ? null : byWorker.get(worker);
        if (w != null && end != null && signalled(end)) {
          if (woken == null) {
            woken = new IdentityHashMap<>();
          }
          woken.computeIfAbsent(w, x -> new ArrayList<>()).add(end);
        }
      }
    } catch (RuntimeException ex) {
      // A bug here must not stop the apply loop: the worker still learns at its next heartbeat.
      log.error(
          "lease signals failed on applied events; workers learn of cancels at their next"
              + " heartbeat instead",
          ex);
    }
    if (woken != null) {
      woken.forEach((w, ends) -> w.reply.complete(List.copyOf(ends)));
    }
  }
}
