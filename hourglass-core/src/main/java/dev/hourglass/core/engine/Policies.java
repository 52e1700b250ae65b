package dev.hourglass.core.engine;

import dev.hourglass.core.command.Command.SetQueueFairness;
import dev.hourglass.core.command.Command.SetQueueRate;
import dev.hourglass.core.command.Command.SetQueueWeight;
import dev.hourglass.core.command.Command.SetTaskRate;
import dev.hourglass.core.command.RateLimit;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.id.Ids;
import dev.hourglass.core.view.JobState;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The scheduling policies of the lease path: the round-robin and weighted strategies, and the
 * commands that set a queue's weight, rate limits and fairness.
 *
 * <p>Implementation notes. Each strategy picks a queue, then the queue's own best job (its lanes'
 * heads in priority order, or its fair ring's next job), so the cost of one grant stays what the
 * priority path costs: one pass over the eligible lanes of the queues served, never a pass over
 * jobs or fairness keys.
 *
 * <p>{@code ROUND_ROBIN} keeps, per worker, the queue of its last grant, and starts the next search
 * after it in the lease's list of queues. {@code WEIGHTED} is the smooth weighted round robin of
 * nginx: each eligible queue's current weight grows by its weight, the largest (the first in the
 * lease's order on a tie) is served, and the total of the eligible weights is taken from it. While
 * the same queues stay eligible the grants repeat with period sum(weights), each queue exactly its
 * weight times per period and interleaved, so any window of sum(weights) grants holds each queue's
 * exact share. Both states are the engine's (in {@link WorkerState}, written to snapshots), so they
 * carry over between leases, restarts and replicas.
 *
 * <p>Called only from the engine's thread, like the engine.
 */
final class Policies {
  static final int WEIGHT_MAX = SetQueueWeight.WEIGHT_MAX;

  /** Bounds the keys a fair queue names weights for: a few tiers or big tenants, not all keys. */
  static final int KEY_WEIGHTS_MAX = 1_000;

  /** Bounds a key's weight: its jobs per turn. */
  static final int KEY_WEIGHT_MAX = 1_000;

  private Policies() {}

  static Job roundRobin(Engine e, WorkerState w, List<String> served, Set<String> tasks) {
    List<String> order = served.isEmpty() ? new ArrayList<>(e.queues.keySet()) : served;
    int n = order.size();
    int start = w.lastQueue == null ? 0 : order.indexOf(w.lastQueue) + 1;
    for (int i = 0; i < n; i++) {
      String name = order.get((start + i) % n);
      QueueState q = e.queues.get(name);
      Job job = q == null ? null : e.bestJobOf(q, tasks, null, e.now, false);
      if (job != null) {
        w.lastQueue = name;
        return job;
      }
    }
    return null;
  }

  static Job weighted(Engine e, WorkerState w, List<String> served, Set<String> tasks) {
    List<String> order = served.isEmpty() ? new ArrayList<>(e.queues.keySet()) : served;
    // A queue named twice counts once; a short list is checked in place, without a set.
    Set<String> seen = order.size() > 16 ? new HashSet<>() : null;
    Job pick = null;
    String pickName = null;
    long pickWeight = 0;
    long total = 0;
    for (int i = 0; i < order.size(); i++) {
      String name = order.get(i);
      QueueState q = e.queues.get(name);
      if (q == null || (seen != null ? !seen.add(name) : order.subList(0, i).contains(name))) {
        continue;
      }
      Job job = e.bestJobOf(q, tasks, null, e.now, false);
      if (job == null) {
        continue;
      }
      long current = w.currentWeights.merge(name, (long) q.weight, Long::sum);
      total += q.weight;
      if (pick == null || current > pickWeight) {
        pick = job;
        pickName = name;
        pickWeight = current;
      }
    }
    if (pick != null) {
      w.currentWeights.merge(pickName, -total, Long::sum);
    }
    return pick;
  }

  /**
   * When queue {@code q} could next give a job to a lease with task filter {@code tasks}, if only
   * rate limits hold it back: see {@link Engine#nextGrantAtMillis}.
   */
  static long nextTokenAt(Engine e, QueueState q, Set<String> tasks, long at) {
    if (q.paused || q.atLimit()) {
      return Long.MAX_VALUE;
    }
    long queueAt = q.rate == null ? at : q.rate.nextTokenAtMillis(at);
    long next = Long.MAX_VALUE;
    for (int i = 0; i < q.lanes.size(); i++) { // a fair queue's lanes count its jobs too
      ReadyLane lane = q.lanes.get(i);
      if (lane.size() > 0) {
        next = Math.min(next, taskTokenAt(e, lane.task, tasks, queueAt));
      }
    }
    return next;
  }

  private static long taskTokenAt(Engine e, String task, Set<String> tasks, long at) {
    if (!TaskFilter.admits(tasks, task)) {
      return Long.MAX_VALUE;
    }
    TaskLimit limit = e.taskLimits.get(task);
    if (limit == null) {
      return at;
    }
    if (limit.atLimit()) {
      return Long.MAX_VALUE;
    }
    return limit.rate == null ? at : Math.max(at, limit.rate.nextTokenAtMillis(at));
  }

  // ---------------------------------------------------------------------------------------------
  // Settings

  static Rejected setQueueWeight(Engine e, SetQueueWeight c) {
    Rejected bad = SpecValidator.name("queue", c.queue());
    if (bad == null && (c.weight() < 1 || c.weight() > WEIGHT_MAX)) {
      bad =
          SpecValidator.invalid(
              "weight=%d of queue %s is outside [1, %d]", c.weight(), c.queue(), WEIGHT_MAX);
    }
    if (bad != null) {
      return bad;
    }
    QueueState q = e.queue(c.queue());
    q.weight = c.weight();
    e.dropIfIdle(q);
    return null;
  }

  static Rejected setQueueRate(Engine e, SetQueueRate c) {
    Rejected bad = SpecValidator.name("queue", c.queue());
    String problem = bad == null ? RateBucket.problem("queue", c.queue(), c.rate()) : null;
    if (bad != null || problem != null) {
      return bad != null ? bad : SpecValidator.invalid("%s", problem);
    }
    QueueState q = e.queue(c.queue());
    q.rate = bucket(q.rate, c.rate(), e.now);
    e.dropIfIdle(q);
    return null;
  }

  static Rejected setTaskRate(Engine e, SetTaskRate c) {
    Rejected bad = SpecValidator.name("task", c.task());
    String problem = bad == null ? RateBucket.problem("task", c.task(), c.rate()) : null;
    if (bad != null || problem != null) {
      return bad != null ? bad : SpecValidator.invalid("%s", problem);
    }
    TaskLimit limit = e.taskLimit(c.task());
    limit.rate = bucket(limit.rate, c.rate(), e.now);
    e.dropIfIdle(c.task(), limit);
    return null;
  }

  /**
   * The bucket of a new limit: a new limit starts full; a changed one keeps the tokens it had (up
   * to its new burst), so setting a limit again cannot be used to start a fresh burst.
   */
  private static RateBucket bucket(RateBucket old, RateLimit limit, long now) {
    if (limit.isNone()) {
      return null;
    }
    RateBucket b = new RateBucket(limit, now);
    if (old != null) {
      b.units = Math.min(b.units, old.unitsAt(now));
    }
    return b;
  }

  static Rejected setQueueFairness(Engine e, SetQueueFairness c) {
    Rejected bad = SpecValidator.name("queue", c.queue());
    if (bad == null) {
      bad = checkKeyWeights(c.queue(), c.keyWeights());
    }
    if (bad == null && !c.fair() && !c.keyWeights().isEmpty()) {
      bad =
          SpecValidator.invalid(
              "key_weights of queue %s need fairness round_robin; a plain" + " queue has no keys",
              c.queue());
    }
    if (bad != null) {
      return bad;
    }
    QueueState q = e.queue(c.queue());
    q.keyWeights = c.keyWeights().isEmpty() ? Map.of() : new LinkedHashMap<>(c.keyWeights());
    if (c.fair() && !q.fair) {
      q.fair = true;
      fillRing(q);
    } else if (!c.fair() && q.fair) {
      q.fair = false;
      emptyRing(q);
    }
    e.dropIfIdle(q);
    return null;
  }

  static Rejected checkReserve(dev.hourglass.core.command.Command.RegisterWorker c) {
    long total = 0;
    for (var entry : c.reserve().entrySet()) {
      Rejected bad = SpecValidator.name("reserve queue", entry.getKey());
      if (bad != null) {
        return bad;
      }
      Integer n = entry.getValue();
      if (n == null || n < 1) {
        return SpecValidator.invalid(
            "reserve[%s]=%s of worker %s must be at least 1", entry.getKey(), n, c.workerId());
      }
      total += n;
    }
    if (total > c.capacity()) {
      return SpecValidator.invalid(
          "worker %s reserves %d slots (%s) but has capacity=%d",
          c.workerId(), total, c.reserve(), c.capacity());
    }
    if (!c.queues().isEmpty()) {
      for (String q : c.reserve().keySet()) {
        if (!c.queues().contains(q)) {
          return SpecValidator.invalid(
              "worker %s reserves slots for queue %s, which it does" + " not serve (queues=%s)",
              c.workerId(), q, c.queues());
        }
      }
    }
    return null;
  }

  private static Rejected checkKeyWeights(String queue, Map<String, Integer> weights) {
    if (weights.size() > KEY_WEIGHTS_MAX) {
      return SpecValidator.invalid(
          "key_weights of queue %s names %d keys; at most %d are allowed",
          queue, weights.size(), KEY_WEIGHTS_MAX);
    }
    for (var entry : weights.entrySet()) {
      String problem = Ids.keyProblem("key_weights key", entry.getKey());
      if (problem != null) {
        return SpecValidator.invalid("%s", problem);
      }
      Integer w = entry.getValue();
      if (w == null || w < 1 || w > KEY_WEIGHT_MAX) {
        return SpecValidator.invalid(
            "key_weights[%s]=%s of queue %s is outside [1, %d]",
            entry.getKey(), w, queue, KEY_WEIGHT_MAX);
      }
    }
    return null;
  }

  /**
   * Moves a queue's READY jobs from its lanes (which keep their counts) into a new fair ring,
   * oldest first, so that keys join the ring in the order of their oldest ready job. O(r log r) in
   * the queue's READY jobs, once, when an operator makes the queue fair (and when a snapshot is
   * read).
   */
  static void fillRing(QueueState q) {
    List<Job> ready = new ArrayList<>();
    for (ReadyLane lane : q.lanes) {
      lane.moveAllTo(ready);
    }
    ready.sort((a, b) -> Long.compare(a.seq, b.seq));
    q.fairRing = new FairRing(q);
    for (Job j : ready) {
      Invariants.check(j.state == JobState.READY, "job %s in a lane is %s", j.id, j.state);
      q.fairRing.add(j);
    }
  }

  /**
   * Moves a queue's READY jobs from its fair ring back into its lanes, oldest first, when an
   * operator makes the queue plain again. O(r log r) in the queue's READY jobs, once.
   */
  private static void emptyRing(QueueState q) {
    List<Job> ready = new ArrayList<>();
    q.fairRing.moveAllTo(ready);
    q.fairRing = null;
    ready.sort((a, b) -> Long.compare(a.seq, b.seq));
    for (Job j : ready) {
      ReadyLane lane = q.lane(j.task, j.priority);
      lane.count(-1);
      lane.add(j);
    }
  }
}
