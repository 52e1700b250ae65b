package dev.hourglass.core.engine;

import dev.hourglass.core.event.Outcome.Assignment;
import dev.hourglass.core.view.AttemptView;
import dev.hourglass.core.view.GrantView;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.core.view.LeaseEnd;
import dev.hourglass.core.view.Page;
import dev.hourglass.core.view.QueueView;
import dev.hourglass.core.view.ScheduleView;
import dev.hourglass.core.view.UnrunnableView;
import dev.hourglass.core.view.WorkerView;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Read-only questions about an engine's state, answered with immutable views. Same threading rule
 * as the engine: call on the engine's thread.
 */
public final class EngineQueries {
  /** Bounds the slots one listing call visits, so a rare filter cannot stall the engine thread. */
  public static final int SCAN_BUDGET = 100_000;

  /** Bounds one page. */
  public static final int PAGE_SIZE_MAX = 1_000;

  private final Engine engine;

  public EngineQueries(Engine engine) {
    this.engine = engine;
  }

  public Optional<JobView> job(String jobId) {
    Job job = engine.jobs.get(jobId);
    return job == null ? Optional.empty() : Optional.of(view(job));
  }

  /**
   * What a lease answer tells the worker of a job it was just granted; null when no such job is
   * held. The lease path asks this for every job it grants, so it reads those few fields rather
   * than building the job's whole {@link #job view} (its attempts, its lists) only to drop it.
   */
  public GrantView grant(String jobId) {
    Job job = engine.jobs.get(jobId);
    if (job == null) {
      return null;
    }
    return new GrantView(
        job.queue, job.payload, job.failures, job.extras == null ? null : job.extras.trace);
  }

  public JobState state(String jobId) {
    Job job = engine.jobs.get(jobId);
    return job == null ? null : job.state;
  }

  /** Jobs newest first; {@code cursor} is null for the first page, else the previous nextCursor. */
  public Page<JobView> jobs(JobFilter filter, String cursor, int limit) {
    int pageSize = Math.max(1, Math.min(limit, PAGE_SIZE_MAX));
    long before = cursor == null || cursor.isEmpty() ? Long.MAX_VALUE : parseCursor(cursor);
    List<Job> found = new ArrayList<>(pageSize);
    long next =
        engine.jobs.scanNewestFirst(
            before,
            pageSize,
            SCAN_BUDGET,
            filter.state() == null || filter.state() == JobState.SUCCEEDED,
            j ->
                (filter.state() == null || j.state == filter.state())
                    && (filter.queue() == null || j.queue.equals(filter.queue()))
                    && (filter.task() == null || j.task.equals(filter.task())),
            found);
    return new Page<>(
        found.stream().map(EngineQueries::view).toList(), next == 0 ? null : Long.toString(next));
  }

  private static long parseCursor(String cursor) {
    try {
      return Long.parseLong(cursor);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "cursor \""
              + cursor
              + "\" is not one this server issued;"
              + " pass the next_cursor of the previous page",
          e);
    }
  }

  /** Jobs in each state, over all queues. O(1). */
  public Map<JobState, Long> countsByState() {
    return counts(engine.countsByState);
  }

  public long count(JobState state) {
    return engine.countsByState[state.ordinal()];
  }

  public int jobsHeld() {
    return engine.jobs.size();
  }

  public List<QueueView> queues() {
    List<QueueView> out = new ArrayList<>();
    for (QueueState q : engine.queues.values()) {
      out.add(queueView(q));
    }
    return out;
  }

  private static QueueView queueView(QueueState q) {
    TreeMap<Integer, Long> ready = new TreeMap<>(java.util.Comparator.reverseOrder());
    for (ReadyLane lane : q.lanes) {
      if (lane.size() > 0) {
        ready.merge(lane.priority, (long) lane.size(), Long::sum);
      }
    }
    long activeKeys = q.fairRing == null ? 0 : q.fairRing.keyCount();
    var policy =
        new QueueView.Policy(
            q.weight,
            q.rate == null ? dev.hourglass.core.command.RateLimit.NONE : q.rate.limit,
            q.fair,
            java.util.Collections.unmodifiableMap(new LinkedHashMap<>(q.keyWeights)),
            activeKeys);
    return new QueueView(
        q.name, q.paused, q.maxRunning, q.running, counts(q.countsByState), ready, policy);
  }

  /** How many queues and task entries the engine holds (for bounds checks and metrics). */
  public int queuesHeld() {
    return engine.queues.size();
  }

  public int taskEntriesHeld() {
    return engine.taskLimits.size();
  }

  /**
   * One queue's settings and counts. A queue the engine does not hold (never used, or dropped when
   * it became idle at its defaults) has the defaults: not paused, no limit, no jobs.
   */
  public QueueView queue(String name) {
    QueueState q = engine.queues.get(name);
    return q != null ? queueView(q) : queueView(new QueueState(name));
  }

  /** A task type's limits; one the engine holds no entry for has none. */
  public dev.hourglass.core.view.TaskLimitView taskLimit(String task) {
    TaskLimit t = engine.taskLimits.get(task);
    return t == null
        ? new dev.hourglass.core.view.TaskLimitView(
            task, 0, 0, dev.hourglass.core.command.RateLimit.NONE)
        : new dev.hourglass.core.view.TaskLimitView(
            task,
            t.maxRunning,
            t.running,
            t.rate == null ? dev.hourglass.core.command.RateLimit.NONE : t.rate.limit);
  }

  /** The task types with a concurrency or rate limit, in the engine's order. */
  public List<dev.hourglass.core.view.TaskLimitView> taskLimits() {
    List<dev.hourglass.core.view.TaskLimitView> out = new ArrayList<>();
    engine.taskLimits.forEach(
        (task, t) -> {
          if (t.maxRunning > 0 || t.rate != null) {
            out.add(taskLimit(task));
          }
        });
    return out;
  }

  /** Every worker, in registration order; O(workers), so listings should page instead. */
  public List<WorkerView> workers() {
    List<WorkerView> out = new ArrayList<>();
    for (WorkerState w : engine.workers.values()) {
      out.add(view(w));
    }
    return out;
  }

  public Optional<WorkerView> worker(String workerId) {
    WorkerState w = engine.workers.get(workerId);
    return w == null ? Optional.empty() : Optional.of(view(w));
  }

  /**
   * Workers ordered by id, at most {@code limit} (1 to {@link #PAGE_SIZE_MAX}) after {@code cursor}
   * (null for the first page, else the previous page's nextCursor). O(log n + limit).
   */
  public Page<WorkerView> workers(String cursor, int limit) {
    int pageSize = Math.max(1, Math.min(limit, PAGE_SIZE_MAX));
    var rest =
        cursor == null || cursor.isEmpty()
            ? engine.workersById
            : engine.workersById.tailMap(cursor, false);
    List<WorkerView> items = new ArrayList<>(Math.min(pageSize, rest.size()));
    for (WorkerState w : rest.values()) {
      if (items.size() == pageSize) {
        break;
      }
      items.add(view(w));
    }
    String last = items.isEmpty() ? null : items.get(items.size() - 1).workerId();
    boolean more = last != null && engine.workersById.higherKey(last) != null;
    return new Page<>(items, more ? last : null);
  }

  private static WorkerView view(WorkerState w) {
    return new WorkerView(
        w.id,
        w.capacity,
        w.queues,
        w.leases.size(),
        w.lastSeenMillis,
        w.heartbeatTimeoutMillis,
        w.alive,
        w.tasks,
        java.util.Collections.unmodifiableMap(new LinkedHashMap<>(w.reserve)));
  }

  /**
   * READY jobs that no live worker can run (see {@link UnrunnableView}), by queue then task, in the
   * engine's queue and lane order. A live worker with no queue and no task filter can run anything,
   * so then the list is empty; with no live worker every READY job is listed. Computed from the
   * lanes and the live workers' filters: O(lanes + the names in those filters).
   */
  public List<UnrunnableView> unrunnable() {
    Set<String> everywhere = new HashSet<>(); // task types of live workers serving every queue
    Set<String> anyTaskIn = new HashSet<>(); // queues served by a live worker of any task type
    Map<String, Set<String>> tasksIn = new HashMap<>();
    for (WorkerState w : engine.workers.values()) {
      if (!w.alive) {
        continue;
      }
      if (w.queues.isEmpty()) {
        if (w.taskSet == null) {
          return List.of();
        }
        everywhere.addAll(w.tasks);
      } else if (w.taskSet == null) {
        anyTaskIn.addAll(w.queues);
      } else {
        for (String q : w.queues) {
          tasksIn.computeIfAbsent(q, k -> new HashSet<>()).addAll(w.tasks);
        }
      }
    }
    List<UnrunnableView> out = new ArrayList<>();
    for (QueueState q : engine.queues.values()) {
      if (anyTaskIn.contains(q.name)) {
        continue;
      }
      Set<String> here = tasksIn.getOrDefault(q.name, Set.of());
      LinkedHashMap<String, Long> byTask = new LinkedHashMap<>();
      for (ReadyLane lane : q.lanes) {
        if (lane.size() > 0 && !everywhere.contains(lane.task) && !here.contains(lane.task)) {
          byTask.merge(lane.task, (long) lane.size(), Long::sum);
        }
      }
      byTask.forEach((task, n) -> out.add(new UnrunnableView(q.name, task, n)));
    }
    return out;
  }

  /**
   * How many jobs {@code LeaseJobs(workerId, max, queues, leaseMillis, tasks)} would grant if
   * applied now: 0 when it would grant none; else at least 1 and at most {@code max}. Uses the
   * lease's own lane choice (paused queues, queue and task limits, the worker's free slots, its
   * queues and task types), so a lease this calls hopeless is. Writes nothing; O(lanes of the
   * queues served).
   */
  public int wouldGrant(String workerId, int max, List<String> queues, List<String> tasks) {
    return engine.wouldGrant(workerId, max, queues, tasks);
  }

  /**
   * {@link #wouldGrant} as a lease stamped {@code atMillis} would find it: rate limits refill up to
   * that time (the engine's own clock moves only with commands).
   */
  public int wouldGrant(
      String workerId, int max, List<String> queues, List<String> tasks, long atMillis) {
    return engine.wouldGrant(workerId, max, queues, tasks, atMillis);
  }

  /**
   * For a lease that would grant nothing at {@code atMillis}: the earliest time at which a rate
   * limit that holds back one of its eligible lanes has a token again, or {@code Long.MAX_VALUE}
   * when only another command can help it. A shell parks such a poll and retries it then, not
   * before (no spinning). Read-only; O(lanes of the queues served).
   */
  public long nextGrantAtMillis(
      String workerId, List<String> queues, List<String> tasks, long atMillis) {
    return engine.nextGrantAtMillis(workerId, queues, tasks, atMillis);
  }

  /**
   * An upper bound on the jobs all leases together could be granted now (0: none, whatever they
   * ask). O(lanes). The server uses it to stop retrying parked long polls once the jobs that could
   * be granted are spoken for.
   */
  public long grantableJobsMax() {
    return engine.grantableJobsMax();
  }

  public List<ScheduleView> schedules() {
    List<ScheduleView> out = new ArrayList<>();
    for (ScheduleState s : engine.schedules.values()) {
      out.add(
          new ScheduleView(
              s.spec,
              s.paused,
              s.nextFireAtMillis,
              s.lastFireAtMillis,
              s.fired,
              s.skipped,
              s.liveJobIds.size()));
    }
    return out;
  }

  public Optional<ScheduleView> schedule(String scheduleId) {
    return schedules().stream().filter(s -> s.spec().scheduleId().equals(scheduleId)).findFirst();
  }

  /** The dead-letter queue, oldest death first, at most {@code limit} jobs. */
  public List<JobView> deadLetters(int limit) {
    List<JobView> out = new ArrayList<>();
    for (Job job : engine.deadLetters.values()) {
      if (out.size() >= limit) {
        break;
      }
      out.add(view(job));
    }
    return out;
  }

  /** Every live assignment, in assignment order of the jobs' current generation. */
  public List<Assignment> liveAssignments() {
    List<Assignment> out = new ArrayList<>();
    for (WorkerState w : engine.workers.values()) {
      for (Job job : w.leases.jobs()) {
        out.add(new Assignment(job.id, w.id, job.generation));
      }
    }
    return out;
  }

  /** Assignments whose worker has not confirmed receipt: notifications still owed, oldest first. */
  public List<Assignment> unacknowledgedAssignments() {
    List<Assignment> out = new ArrayList<>();
    for (Job job : engine.unacknowledged.jobs()) {
      out.add(new Assignment(job.id, job.liveAttempt().workerId, job.generation));
    }
    return out;
  }

  /**
   * Whether {@code workerId} still holds {@code jobId}'s lease in {@code generation}; if not, why
   * it ended. O(attempts of the job).
   *
   * @return empty while the lease is live; else how it ended (a cancel, a timeout, or any other
   *     loss, including a job that no longer exists or a generation this worker never held)
   */
  public Optional<LeaseEnd> leaseEnded(String jobId, String workerId, int generation) {
    Job job = engine.jobs.get(jobId);
    if (job == null) {
      return Optional.of(
          new LeaseEnd(
              jobId, generation, LeaseEnd.Kind.LEASE_LOST, "job " + jobId + " no longer exists"));
    }
    for (Attempt a = job.lastAttempt; a != null; a = a.previous) {
      if (a.generation != generation || !a.workerId.equals(workerId)) {
        continue;
      }
      if (a.outcome == Attempt.Outcome.RUNNING) {
        return Optional.empty();
      }
      if (a.outcome == Attempt.Outcome.CANCELLED) {
        return Optional.of(new LeaseEnd(jobId, generation, LeaseEnd.Kind.CANCELLED, a.error));
      }
      return Optional.of(
          a.timedOut()
              ? new LeaseEnd(
                  jobId,
                  generation,
                  LeaseEnd.Kind.TIMED_OUT,
                  "timed out after" + " timeout_ms=" + job.timeoutMillis)
              : new LeaseEnd(
                  jobId,
                  generation,
                  LeaseEnd.Kind.LEASE_LOST,
                  a.outcome + ": " + (a.error == null ? "ended" : a.error)));
    }
    return Optional.of(
        new LeaseEnd(
            jobId,
            generation,
            LeaseEnd.Kind.LEASE_LOST,
            "worker " + workerId + " never held generation " + generation + " of job " + jobId));
  }

  /** Whether a worker of that id is registered (alive or declared dead). O(1). */
  public boolean workerKnown(String workerId) {
    return engine.workers.containsKey(workerId);
  }

  /** The worker and generation of the job's latest attempt, if it ever ran. O(1). */
  public Optional<Assignment> lastAssignment(String jobId) {
    Job job = engine.jobs.get(jobId);
    if (job == null || job.lastAttempt == null) {
      return Optional.empty();
    }
    return Optional.of(new Assignment(jobId, job.lastAttempt.workerId, job.lastAttempt.generation));
  }

  /** Workers owed at least one notification, each once, in order of their oldest one. */
  public List<String> workersOwedNotifications() {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    for (Job job : engine.unacknowledged.jobs()) {
      out.add(job.liveAttempt().workerId);
    }
    return List.copyOf(out);
  }

  /** The earliest time at which a tick would change something, or Long.MAX_VALUE for never. */
  public long nextWakeupMillis() {
    long t = Long.MAX_VALUE;
    if (!engine.due.isEmpty()) {
      t = Math.min(t, engine.due.peek().dueAtMillis);
    }
    if (!engine.leases.isEmpty()) {
      t = Math.min(t, engine.leases.peek().dueAtMillis);
    }
    if (!engine.liveness.isEmpty()) {
      t = Math.min(t, engine.liveness.peek().deathAtMillis());
    }
    if (!engine.graveyard.isEmpty()) {
      long evictAt =
          engine.graveyard.peek().deathAtMillis() + engine.config().workerRetentionMillis();
      t = Math.min(t, evictAt < 0 ? Long.MAX_VALUE : evictAt);
    }
    if (!engine.firings.isEmpty()) {
      t = Math.min(t, engine.firings.peek().nextFireAtMillis);
    }
    if (!engine.finished.isEmpty()) {
      long seq = engine.finished.peekFirst();
      Job oldest = engine.jobs.objectAt(seq);
      // A stale entry (left by a revival) says nothing about eviction: a tick drops it now.
      long evictAt =
          oldest != null && Engine.isStaleFinishedEntry(oldest)
              ? 0
              : engine.finishedAtMillis(seq, oldest) + engine.config().retentionMillis();
      t = Math.min(t, evictAt < 0 ? Long.MAX_VALUE : evictAt);
    }
    return t;
  }

  /** Whether at least one READY job exists (cheap check for waking long polls). */
  public long readyCount() {
    return engine.countsByState[JobState.READY.ordinal()];
  }

  static JobView view(Job job) {
    List<AttemptView> attempts = new ArrayList<>();
    if (job.lastAttempt != null) {
      for (Attempt a : job.attemptsOldestFirst()) {
        attempts.add(
            new AttemptView(
                a.workerId,
                a.generation,
                a.startedAtMillis,
                a.leaseExpiresAtMillis,
                a.endedAtMillis,
                a.outcome.name(),
                a.error,
                a.acknowledged));
      }
    }
    JobExtras x = job.extras;
    boolean finished = job.state.isFinished();
    return new JobView(
        job.id,
        job.queue,
        job.task,
        job.payload,
        job.priority,
        job.deadlineMillis,
        x == null ? 0 : x.runAtMillis,
        job.state,
        job.generation,
        job.failures,
        job.maxAttempts,
        job.createdAtMillis,
        finished ? 0 : job.dueAtMillis,
        finished ? job.dueAtMillis : 0,
        x == null ? List.of() : x.parents,
        x == null || x.dependents == null ? List.of() : List.copyOf(x.dependents),
        x == null ? null : x.scheduleId,
        x == null ? null : x.idempotencyKey,
        x == null ? null : x.result,
        x == null ? null : x.reason,
        attempts,
        x == null ? null : x.trace,
        job.fairnessKey);
  }

  private static Map<JobState, Long> counts(long[] byState) {
    EnumMap<JobState, Long> out = new EnumMap<>(JobState.class);
    for (JobState s : JobState.values()) {
      out.put(s, byState[s.ordinal()]);
    }
    return out;
  }
}
