package dev.hourglass.core.engine;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.Command.AcknowledgeAssignment;
import dev.hourglass.core.command.Command.AssignJob;
import dev.hourglass.core.command.Command.CancelJob;
import dev.hourglass.core.command.Command.CompleteJob;
import dev.hourglass.core.command.Command.DeleteSchedule;
import dev.hourglass.core.command.Command.DeregisterWorker;
import dev.hourglass.core.command.Command.FailJob;
import dev.hourglass.core.command.Command.HeartbeatJob;
import dev.hourglass.core.command.Command.LeaseJobs;
import dev.hourglass.core.command.Command.PutSchedule;
import dev.hourglass.core.command.Command.RedriveJob;
import dev.hourglass.core.command.Command.RegisterWorker;
import dev.hourglass.core.command.Command.ReleaseJob;
import dev.hourglass.core.command.Command.RunJobNow;
import dev.hourglass.core.command.Command.SetQueueConcurrency;
import dev.hourglass.core.command.Command.SetQueueFairness;
import dev.hourglass.core.command.Command.SetQueuePaused;
import dev.hourglass.core.command.Command.SetQueueRate;
import dev.hourglass.core.command.Command.SetQueueWeight;
import dev.hourglass.core.command.Command.SetSchedulePaused;
import dev.hourglass.core.command.Command.SetTaskConcurrency;
import dev.hourglass.core.command.Command.SetTaskRate;
import dev.hourglass.core.command.Command.SubmitJob;
import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.Command.Tick;
import dev.hourglass.core.command.Command.WorkerHeartbeat;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.cron.CronSchedule;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.FiringSkipped;
import dev.hourglass.core.event.Event.JobDeduplicated;
import dev.hourglass.core.event.Event.JobEvicted;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Event.LeaseLost;
import dev.hourglass.core.event.Event.ScheduleFired;
import dev.hourglass.core.event.Event.WorkerDied;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Assignment;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.JobState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The scheduling engine: a deterministic state machine over jobs, workers, queues and schedules.
 *
 * <p>Implementation notes.
 *
 * <p><b>Determinism.</b> {@link #apply} is the only way state changes. It reads no clock, no random
 * source and no file: time comes from the command ({@code now = max(now, command.atMillis)}, so a
 * proposer whose clock steps back cannot move the engine backwards), job ids come from the caller,
 * and every collection whose order can leak into the state or the events is ordered (linked maps,
 * heaps with total orders that end in a unique key). The same commands in the same order therefore
 * give the same state, which is what makes log replay and Raft replication correct.
 *
 * <p><b>Atomicity.</b> A command is validated completely before anything changes; a {@link
 * Rejected} outcome means nothing changed. An invariant that fails during a change is a bug and
 * throws {@link AssertionError}.
 *
 * <p><b>Where a job lives.</b> By state: PENDING jobs are in no structure and wait for their
 * parents' count to reach zero; SCHEDULED and FAILED jobs are in the due heap (by due time); READY
 * jobs are in the lane of their (queue, task, priority); RUNNING jobs are in the lease heap (by
 * lease end) and in their worker's lease set; terminal jobs stay in the table (for queries and
 * idempotency) until the retention period evicts them. {@link #moveTo} is the single place that
 * moves a job between structures and keeps every count in step.
 *
 * <p><b>Fencing.</b> Every assignment increments the job's generation. Heartbeat, complete, fail,
 * release and acknowledge must name the live worker and generation; anything else is a zombie's
 * late answer and is rejected without effect.
 *
 * <p>The holder of an attempt that ended by a cancel or by the job's timeout (same worker, same
 * generation) is told so ({@code CANCELLED}, {@code TIMED_OUT}) instead of {@code
 * ILLEGAL_TRANSITION}; the attempt's outcome says which, so nothing new is stored for it.
 *
 * <p><b>Cancel and re-drive.</b> A job cancelled because a parent died or was cancelled records
 * that parent ({@code JobExtras.cancelledBy}); one a user cancelled records none. Re-driving a DEAD
 * job walks its dependents (kept for display anyway) and revives, CANCELLED -> PENDING, those
 * cancelled through it whose parents are all live again; a dependent still blocked by another DEAD
 * or CANCELLED parent is re-attributed to that parent, so re-driving it later revives the
 * dependent. The invariant: a job cancelled through a parent names one that is DEAD, CANCELLED or
 * evicted. A revived job's retention entry stays in {@link #finished} (removing it would be a scan)
 * and is skipped when it comes up; the cap on finished jobs counts states, not entries.
 *
 * <p><b>Cost.</b> Submit, lease, heartbeat, complete and fail are O(log n) in the jobs of the
 * structures they touch (O(1) for in-order FIFO lanes); lease scans the non-empty lanes of the
 * worker's queues (a fair queue: one heap top per task type; see {@link FairRing}), and the
 * strategies, rate limits and reservations add O(1) per queue served ({@link Policies}). A tick
 * costs O(k log n) for k jobs that come due. Counts are kept up to date by every transition, so
 * reading them is O(1).
 *
 * <p>Not thread-safe: confine an engine to one thread (the server's apply loop, the Raft state
 * machine's applier) and publish reads through that thread or a snapshot.
 */
public final class Engine {
  private final EngineConfig config;
  long now;
  long nextSeq = 1;
  final JobTable jobs = new JobTable();
  final LinkedHashMap<String, QueueState> queues = new LinkedHashMap<>();
  final LinkedHashMap<String, TaskLimit> taskLimits = new LinkedHashMap<>();
  final LinkedHashMap<String, WorkerState> workers = new LinkedHashMap<>();

  /** The same workers by id, for paged listings; changes only when a worker comes or goes. */
  final TreeMap<String, WorkerState> workersById = new TreeMap<>();

  final LinkedHashMap<String, ScheduleState> schedules = new LinkedHashMap<>();

  /** SCHEDULED and FAILED jobs by due time, then submission order. */
  final IndexedHeap<Job> due = new IndexedHeap<>(j -> j.dueAtMillis, j -> j.seq, null);

  /** RUNNING jobs by lease expiry, then submission order. */
  final IndexedHeap<Job> leases = new IndexedHeap<>(j -> j.dueAtMillis, j -> j.seq, null);

  /** Live workers by the time they will be declared dead unless heard from. */
  final IndexedHeap<WorkerState> liveness =
      new IndexedHeap<>(WorkerState::deathAtMillis, w -> 0, Comparator.comparing(w -> w.id));

  /** Dead workers by the time they died, for eviction after the worker retention. */
  final IndexedHeap<WorkerState> graveyard =
      new IndexedHeap<>(WorkerState::deathAtMillis, w -> 0, Comparator.comparing(w -> w.id));

  final IndexedHeap<ScheduleState> firings =
      new IndexedHeap<>(s -> s.nextFireAtMillis, s -> 0, Comparator.comparing(ScheduleState::id));

  /** Sequences of SUCCEEDED and CANCELLED jobs in the order they finished, for retention. */
  final SeqQueue finished = new SeqQueue();

  /** DEAD jobs in the order they died: the dead-letter queue. */
  final LinkedHashMap<String, Job> deadLetters = new LinkedHashMap<>();

  /** Live attempts whose worker has not confirmed the assignment, in assignment order. */
  final AttemptChain unacknowledged = new AttemptChain(AttemptChain.Kind.UNACKNOWLEDGED);

  final long[] countsByState = new long[JobState.values().length];

  private ArrayList<Event> events;

  public Engine(EngineConfig config) {
    this.config = config;
  }

  public Engine() {
    this(EngineConfig.DEFAULTS);
  }

  public EngineConfig config() {
    return config;
  }

  /** The latest time this engine has applied a command at. */
  public long nowMillis() {
    return now;
  }

  /**
   * Applies one command. Returns {@link Applied} with the events it caused, or {@link Rejected}
   * with a reason, in which case nothing changed.
   */
  public Outcome apply(Command command) {
    long before = now;
    now = Math.max(now, command.atMillis());
    events = new ArrayList<>(4);
    Rejected rejected =
        switch (command) {
          case SubmitJob c -> submitOne(c.spec());
          case SubmitJobs c -> submit(c.specs());
          case CancelJob c -> cancel(c);
          case RedriveJob c -> redrive(c);
          case RunJobNow c -> runNow(c);
          case RegisterWorker c -> register(c);
          case WorkerHeartbeat c -> workerHeartbeat(c);
          case DeregisterWorker c -> deregister(c);
          case LeaseJobs c -> lease(c);
          case AssignJob c -> assign(c);
          case AcknowledgeAssignment c -> acknowledge(c);
          case HeartbeatJob c -> heartbeat(c);
          case CompleteJob c -> complete(c);
          case FailJob c -> fail(c);
          case ReleaseJob c -> release(c);
          case Tick c -> tick();
          case SetQueuePaused c -> setQueuePaused(c);
          case SetQueueConcurrency c -> setQueueConcurrency(c);
          case SetTaskConcurrency c -> setTaskConcurrency(c);
          case PutSchedule c -> putSchedule(c);
          case SetSchedulePaused c -> setSchedulePaused(c);
          case DeleteSchedule c -> deleteSchedule(c);
          case SetQueueWeight c -> Policies.setQueueWeight(this, c);
          case SetQueueRate c -> Policies.setQueueRate(this, c);
          case SetTaskRate c -> Policies.setTaskRate(this, c);
          case SetQueueFairness c -> Policies.setQueueFairness(this, c);
        };
    if (rejected != null) {
      Invariants.check(events.isEmpty(), "a rejected command changed state: %s", events);
      now = before; // a refused command changes nothing, not even the clock
      return rejected;
    }
    return events.isEmpty() ? Applied.NOTHING : new Applied(events);
  }

  // ---------------------------------------------------------------------------------------------
  // Submit

  /** The common case, one job, without the batch planner's maps and sort. */
  private Rejected submitOne(JobSpec spec) {
    Rejected bad = SpecValidator.validate(spec, config);
    if (bad != null) {
      return bad;
    }
    if (spec.idempotencyKey() != null) {
      Job existing = jobs.byIdempotencyKey(spec.idempotencyKey());
      if (existing != null) {
        events.add(new JobDeduplicated(existing.id, spec.idempotencyKey()));
        return null;
      }
    }
    if (jobs.contains(spec.jobId())) {
      return new Rejected(
          ErrorCode.DUPLICATE_JOB_ID,
          "a job with id "
              + spec.jobId()
              + " exists already; use a new id, or an idempotency key to make resubmits safe");
    }
    for (String parent : spec.dependsOn()) {
      if (!jobs.contains(parent)) {
        return new Rejected(
            ErrorCode.UNKNOWN_PARENT,
            "job "
                + spec.jobId()
                + " depends on "
                + parent
                + ", which does not exist; submit the parent first or in the same batch");
      }
    }
    createJob(spec, null, Map.of());
    return null;
  }

  private Rejected submit(List<JobSpec> specs) {
    if (specs.isEmpty() || specs.size() > EngineConfig.BATCH_SIZE_MAX) {
      return SpecValidator.invalid(
          "a batch holds 1 to %d jobs; got %d", EngineConfig.BATCH_SIZE_MAX, specs.size());
    }
    SubmitPlan plan = SubmitPlan.build(specs, this);
    if (plan.rejection() != null) {
      return plan.rejection();
    }
    for (JobSpec spec : plan.ordered()) {
      Job existing = plan.deduplicatedTo().get(spec.jobId());
      if (existing != null) {
        events.add(new JobDeduplicated(existing.id, spec.idempotencyKey()));
      } else {
        createJob(spec, null, plan.deduplicatedTo());
      }
    }
    return null;
  }

  /**
   * The parents' job ids, with a parent that a batch deduplicated (by its idempotency key) onto an
   * existing job named by that job's id: the id the batch used names no job, and cancel propagation
   * and re-drive follow the real parent.
   */
  private static List<String> resolvedParents(List<String> dependsOn, Map<String, Job> aliases) {
    if (aliases.isEmpty()) {
      return dependsOn;
    }
    List<String> ids = new ArrayList<>(dependsOn.size());
    for (String parentId : dependsOn) {
      Job alias = aliases.get(parentId);
      ids.add(alias != null ? alias.id : parentId);
    }
    return List.copyOf(ids);
  }

  /** Creates a job that has passed validation and places it by its parents and run-at time. */
  Job createJob(JobSpec spec, String scheduleId, Map<String, Job> aliases) {
    Job job =
        new Job(
            spec.jobId(),
            nextSeq++,
            spec.queue(),
            spec.task(),
            spec.payload(),
            spec.priority(),
            spec.deadlineMillis(),
            now,
            spec.maxAttempts(),
            spec.backoff(),
            spec.timeoutMillis());
    job.fairnessKey = spec.fairnessKey();
    if (spec.idempotencyKey() != null
        || !spec.dependsOn().isEmpty()
        || scheduleId != null
        || spec.runAtMillis() != 0
        || spec.trace() != null) {
      JobExtras x = job.extras();
      x.idempotencyKey = spec.idempotencyKey();
      x.parents = resolvedParents(spec.dependsOn(), aliases);
      x.scheduleId = scheduleId;
      x.runAtMillis = spec.runAtMillis();
      x.trace = spec.trace();
    }
    jobs.add(job);
    Job doomedBy = null;
    for (String parentId : spec.dependsOn()) {
      // live: the parent records this job among its dependents, so an archived one comes back.
      Job parent = aliases.containsKey(parentId) ? aliases.get(parentId) : jobs.live(parentId);
      Invariants.check(
          parent != null, "parent %s of %s vanished after validation", parentId, job.id);
      addDependent(parent, job.id);
      if (parent.state == JobState.SUCCEEDED) {
        continue;
      }
      if (parent.state == JobState.DEAD || parent.state == JobState.CANCELLED) {
        doomedBy = doomedBy == null ? parent : doomedBy;
        continue;
      }
      JobExtras px = parent.extras();
      if (px.children == null) {
        px.children = new ArrayList<>(2);
      }
      px.children.add(job);
      job.unmetParents++;
    }
    enter(job, JobState.PENDING, "submitted");
    if (doomedBy != null) {
      cancelTree(job, doomedBy.id, "parent " + doomedBy.id + " is " + doomedBy.state);
    } else if (job.unmetParents == 0) {
      release(job, spec.runAtMillis(), "submitted");
    }
    return job;
  }

  /** Records {@code childId} among the parent's dependents (for display; see JobExtras). */
  static void addDependent(Job parent, String childId) {
    JobExtras px = parent.extras();
    if (px.dependents == null) {
      px.dependents = new ArrayList<>(2);
    }
    px.dependents.add(childId);
  }

  /** A job whose parents have all succeeded becomes SCHEDULED or READY by its run-at time. */
  private void release(Job job, long runAtMillis, String reason) {
    if (runAtMillis > now) {
      job.dueAtMillis = runAtMillis;
      moveTo(job, JobState.SCHEDULED, reason);
    } else {
      moveTo(job, JobState.READY, reason);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Cancel and re-drive

  private Rejected cancel(CancelJob c) {
    Job job = jobs.get(c.jobId());
    if (job == null) {
      return Rejected.unknownJob(c.jobId());
    }
    if (!job.state.canMoveTo(JobState.CANCELLED)) {
      return illegal(job, "cancel");
    }
    String reason = c.reason() == null || c.reason().isBlank() ? "cancelled" : c.reason();
    Attempt live = job.liveAttempt();
    if (live != null) {
      live.end(now, Attempt.Outcome.CANCELLED, reason);
    }
    cancelTree(job, null, reason);
    return null;
  }

  /**
   * Cancels a job and, transitively, every job still waiting on it. {@code cancelledBy} is the
   * parent that cancels {@code root} (null: a user); each descendant records the parent it was
   * cancelled through, which is what a re-drive follows to revive them.
   */
  private void cancelTree(Job root, String cancelledBy, String reason) {
    ArrayDeque<Job> work = new ArrayDeque<>();
    ArrayDeque<Job> through = new ArrayDeque<>(); // the parent each queued job is cancelled by
    work.add(root);
    through.add(root); // a placeholder: the root's canceller is cancelledBy
    boolean first = true;
    while (!work.isEmpty()) {
      Job job = work.poll();
      Job parent = through.poll();
      if (!job.state.canMoveTo(JobState.CANCELLED)) {
        continue;
      }
      JobExtras x = job.extras();
      x.reason = first ? reason : "parent cancelled: " + reason;
      x.cancelledBy = first ? cancelledBy : parent.id;
      first = false;
      ArrayList<Job> children = takeChildren(job);
      moveTo(job, JobState.CANCELLED, x.reason);
      for (Job child : children) {
        work.add(child);
        through.add(job);
      }
    }
  }

  private static ArrayList<Job> takeChildren(Job job) {
    if (job.extras == null || job.extras.children == null) {
      return new ArrayList<>(0);
    }
    ArrayList<Job> children = job.extras.children;
    job.extras.children = null;
    return children;
  }

  private Rejected redrive(RedriveJob c) {
    Job job = jobs.get(c.jobId());
    if (job == null) {
      return Rejected.unknownJob(c.jobId());
    }
    if (job.state != JobState.DEAD) {
      return illegal(job, "redrive (only DEAD jobs can be re-driven)");
    }
    job.failures = 0;
    job.extras().reason = null;
    moveTo(job, JobState.READY, "re-driven from the dead-letter queue");
    Revival.reviveDescendants(this, job);
    return null;
  }

  private Rejected runNow(RunJobNow c) {
    Job job = jobs.get(c.jobId());
    if (job == null) {
      return Rejected.unknownJob(c.jobId());
    }
    if (job.state != JobState.SCHEDULED && job.state != JobState.FAILED) {
      return illegal(job, "run-now (only SCHEDULED and FAILED jobs wait for a time)");
    }
    moveTo(job, JobState.READY, "run now");
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Workers

  private Rejected register(RegisterWorker c) {
    Rejected bad = SpecValidator.name("worker_id", c.workerId());
    if (bad != null) {
      return bad;
    }
    if (c.capacity() < 1 || c.capacity() > EngineConfig.LEASE_BATCH_MAX) {
      return SpecValidator.invalid(
          "capacity=%d of worker %s is outside [1, %d]",
          c.capacity(), c.workerId(), EngineConfig.LEASE_BATCH_MAX);
    }
    if (c.heartbeatTimeoutMillis() < 0) {
      return SpecValidator.invalid(
          "heartbeat timeout of worker %s must not be negative", c.workerId());
    }
    bad = TaskFilter.validate(c.tasks(), c.workerId());
    if (bad == null) {
      bad = Policies.checkReserve(c);
    }
    if (bad != null) {
      return bad;
    }
    long timeout =
        c.heartbeatTimeoutMillis() == 0
            ? config.defaultWorkerTimeoutMillis()
            : c.heartbeatTimeoutMillis();
    WorkerState w = workers.get(c.workerId());
    if (w == null) {
      w = new WorkerState(c.workerId(), c.capacity(), c.queues(), timeout);
      addWorker(w);
    } else {
      w.capacity = c.capacity();
      w.queues = c.queues();
      w.heartbeatTimeoutMillis = timeout;
    }
    w.setTasks(c.tasks());
    w.setReserve(c.reserve(), w.leases.jobs());
    touch(w);
    return null;
  }

  /**
   * Finds a worker, registering it with defaults on first contact (pull workers need no setup): the
   * queues and task types of its first lease become its registered ones.
   */
  private WorkerState workerOnContact(
      String workerId, int capacity, List<String> queuesServed, List<String> tasks) {
    WorkerState w = workers.get(workerId);
    if (w == null) {
      w = new WorkerState(workerId, capacity, queuesServed, config.defaultWorkerTimeoutMillis());
      w.setTasks(tasks);
      addWorker(w);
    }
    touch(w);
    return w;
  }

  void addWorker(WorkerState w) {
    workers.put(w.id, w);
    workersById.put(w.id, w);
  }

  private void removeWorker(WorkerState w) {
    if (liveness.contains(w)) {
      liveness.remove(w);
    }
    if (graveyard.contains(w)) {
      graveyard.remove(w);
    }
    workers.remove(w.id);
    workersById.remove(w.id);
  }

  private void touch(WorkerState w) {
    w.lastSeenMillis = now;
    w.alive = true;
    if (graveyard.contains(w)) {
      graveyard.remove(w);
    }
    if (liveness.contains(w)) {
      liveness.update(w);
    } else {
      liveness.add(w);
    }
  }

  private Rejected workerHeartbeat(WorkerHeartbeat c) {
    WorkerState w = workers.get(c.workerId());
    if (w == null) {
      return new Rejected(
          ErrorCode.UNKNOWN_WORKER,
          "no worker " + c.workerId() + " is registered; register it or lease, which registers it");
    }
    touch(w);
    return null;
  }

  private Rejected deregister(DeregisterWorker c) {
    WorkerState w = workers.get(c.workerId());
    if (w == null) {
      return new Rejected(ErrorCode.UNKNOWN_WORKER, "no worker " + c.workerId() + " is registered");
    }
    for (Job job : w.leases.jobs()) {
      job.liveAttempt().end(now, Attempt.Outcome.RELEASED, "worker deregistered");
      moveTo(job, JobState.READY, "released by deregistering worker " + w.id);
    }
    removeWorker(w);
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Leasing

  private Rejected lease(LeaseJobs c) {
    Rejected bad = SpecValidator.name("worker_id", c.workerId());
    if (bad != null) {
      return bad;
    }
    if (c.max() < 1 || c.max() > EngineConfig.LEASE_BATCH_MAX || c.leaseMillis() < 0) {
      return SpecValidator.invalid(
          "lease of max=%d leaseMillis=%d: max must be in [1, %d] and" + " the lease not negative",
          c.max(), c.leaseMillis(), EngineConfig.LEASE_BATCH_MAX);
    }
    bad = TaskFilter.validate(c.tasks(), c.workerId());
    if (bad != null) {
      return bad;
    }
    WorkerState w = workerOnContact(c.workerId(), c.max(), c.queues(), c.tasks());
    List<String> asked = c.queues().isEmpty() ? w.queues : c.queues();
    Set<String> tasks = leaseTasks(w, c.tasks());
    long leaseMillis = c.leaseMillis() == 0 ? config.defaultLeaseMillis() : c.leaseMillis();
    int wanted = Math.min(c.max(), w.freeSlots());
    for (int i = 0; i < wanted; i++) {
      List<String> served = w.grantableQueues(asked);
      if (served != asked && served.isEmpty()) {
        break; // only reserved slots are free, and their queues are not asked for
      }
      Job job =
          switch (c.strategy()) {
            case PRIORITY -> bestJob(served, tasks, now, false);
            case FIFO -> bestJob(served, tasks, now, true);
            case ROUND_ROBIN -> Policies.roundRobin(this, w, served, tasks);
            case WEIGHTED -> Policies.weighted(this, w, served, tasks);
          };
      if (job == null) {
        break;
      }
      take(job);
      grant(job, w, 0, leaseMillis);
    }
    return null;
  }

  /** The policies' share of a grant: the fair ring's turn and the rate limits' tokens. */
  private void take(Job job) {
    QueueState q = queue(job.queue);
    if (q.fair) {
      q.fairRing.served(job);
    }
    if (q.rate != null) {
      q.rate.take(now);
    }
    TaskLimit limit = taskLimits.get(job.task);
    if (limit != null && limit.rate != null) {
      limit.rate.take(now);
    }
  }

  /** The task filter of a lease: its own task types, else its worker's registered ones. */
  private static Set<String> leaseTasks(WorkerState w, List<String> asked) {
    return asked.isEmpty() || asked.equals(w.tasks) ? w.taskSet : TaskFilter.of(asked);
  }

  /**
   * How many jobs {@code LeaseJobs(workerId, max, queues, tasks)} would grant at {@code atMillis}:
   * 0 when none, else an upper bound (at most {@code max} and the worker's free slots). The same
   * lane choice as the lease itself (any strategy takes a job whenever one is eligible), read-only,
   * and O(lanes of the queues served): the server asks it before it retries a parked long poll, so
   * a poll held back by a limit, a rate, a pause, a full worker or its task filter writes nothing
   * while it waits.
   */
  int wouldGrant(
      String workerId, int max, List<String> queuesAsked, List<String> tasksAsked, long atMillis) {
    WorkerState w = workers.get(workerId);
    int free = w == null ? max : Math.min(max, w.freeSlots());
    if (free < 1) {
      return 0;
    }
    List<String> asked = !queuesAsked.isEmpty() || w == null ? queuesAsked : w.queues;
    List<String> served = w == null ? asked : w.grantableQueues(asked);
    if (served != asked && served.isEmpty()) {
      return 0;
    }
    Set<String> tasks = w == null ? TaskFilter.of(tasksAsked) : leaseTasks(w, tasksAsked);
    return bestJob(served, tasks, Math.max(now, atMillis), false) == null ? 0 : free;
  }

  int wouldGrant(String workerId, int max, List<String> queuesAsked, List<String> tasksAsked) {
    return wouldGrant(workerId, max, queuesAsked, tasksAsked, now);
  }

  /**
   * When a lease that {@link #wouldGrant} nothing at {@code atMillis} could next get a job without
   * any other command: the earliest time a rate limit that holds back one of its eligible lanes has
   * a token again. {@code Long.MAX_VALUE} when nothing but a command (a submit, a finished job, a
   * setting) can help it. Read-only; O(lanes of the queues served).
   */
  long nextGrantAtMillis(
      String workerId, List<String> queuesAsked, List<String> tasksAsked, long atMillis) {
    WorkerState w = workers.get(workerId);
    if (w != null && w.freeSlots() < 1) {
      return Long.MAX_VALUE;
    }
    List<String> asked = !queuesAsked.isEmpty() || w == null ? queuesAsked : w.queues;
    List<String> served = w == null ? asked : w.grantableQueues(asked);
    if (served != asked && served.isEmpty()) {
      return Long.MAX_VALUE;
    }
    Set<String> tasks = w == null ? TaskFilter.of(tasksAsked) : leaseTasks(w, tasksAsked);
    long at = Math.max(now, atMillis);
    long next = Long.MAX_VALUE;
    if (served.isEmpty()) {
      for (QueueState q : queues.values()) {
        next = Math.min(next, Policies.nextTokenAt(this, q, tasks, at));
      }
    } else {
      for (int i = 0; i < served.size(); i++) {
        QueueState q = queues.get(served.get(i));
        if (q != null) {
          next = Math.min(next, Policies.nextTokenAt(this, q, tasks, at));
        }
      }
    }
    return next;
  }

  /**
   * An upper bound on how many jobs all leases together could be granted now: per queue that is
   * neither paused nor at its limit, its READY jobs whose task is not at its limit, capped by the
   * queue's free slots and each lane by its task's free slots. O(lanes); 0 means no lease can get
   * anything, whatever it asks. Rate limits are left out, which keeps it an upper bound at any
   * later time too.
   */
  long grantableJobsMax() {
    long total = 0;
    for (QueueState q : queues.values()) {
      if (q.paused || q.atLimit()) {
        continue;
      }
      long eligible = 0;
      List<ReadyLane> lanes = q.lanes;
      for (int i = 0; i < lanes.size(); i++) {
        ReadyLane lane = lanes.get(i);
        if (lane.size() == 0) {
          continue;
        }
        TaskLimit limit = taskLimits.get(lane.task);
        eligible +=
            limit == null || limit.maxRunning == 0
                ? lane.size()
                : Math.min(lane.size(), Math.max(0, limit.maxRunning - limit.running));
      }
      total += q.maxRunning > 0 ? Math.min(eligible, q.maxRunning - q.running) : eligible;
    }
    return total;
  }

  /**
   * The job that should run next among the queues served and the task types admitted ({@code tasks}
   * null: any) at {@code atMillis}, in priority order, or by age alone when {@code fifo}; null if
   * none is eligible.
   */
  Job bestJob(List<String> served, Set<String> tasks, long atMillis, boolean fifo) {
    Job best = null;
    if (served.isEmpty()) {
      for (QueueState q : queues.values()) {
        best = bestJobOf(q, tasks, best, atMillis, fifo);
      }
      return best;
    }
    for (int i = 0; i < served.size(); i++) {
      QueueState q = queues.get(served.get(i));
      if (q != null) {
        best = bestJobOf(q, tasks, best, atMillis, fifo);
      }
    }
    return best;
  }

  /**
   * The better of {@code best} and the job queue {@code q} would give next: in a plain queue the
   * best head of its eligible lanes, in a fair queue the best eligible job of the first key in its
   * ring that has one.
   */
  Job bestJobOf(QueueState q, Set<String> tasks, Job best, long atMillis, boolean fifo) {
    if (q.paused || q.atLimit() || (q.rate != null && !q.rate.hasToken(atMillis))) {
      return best;
    }
    if (q.fair) {
      Job next = q.fairRing.next(this, tasks, atMillis);
      return next == null ? best : better(next, best, fifo);
    }
    List<ReadyLane> lanes = q.lanes;
    for (int i = 0; i < lanes.size(); i++) {
      ReadyLane lane = lanes.get(i);
      if (lane.size() > 0 && taskEligible(lane.task, tasks, atMillis)) {
        best = better(lane.peek(), best, fifo);
      }
    }
    return best;
  }

  /** Whether a lease with task filter {@code tasks} may take a job of {@code task} now. */
  boolean taskEligible(String task, Set<String> tasks, long atMillis) {
    if (!TaskFilter.admits(tasks, task)) {
      return false;
    }
    TaskLimit limit = taskLimits.get(task);
    return limit == null
        || !limit.atLimit() && (limit.rate == null || limit.rate.hasToken(atMillis));
  }

  private static Job better(Job head, Job best, boolean fifo) {
    if (best == null) {
      return head;
    }
    if (fifo) {
      return head.seq < best.seq ? head : best;
    }
    return runsBefore(head, best) ? head : best;
  }

  /** Higher priority first, then earlier deadline, then oldest first. */
  private static boolean runsBefore(Job a, Job b) {
    if (a.priority != b.priority) {
      return a.priority > b.priority;
    }
    if (a.deadlineMillis != b.deadlineMillis) {
      return a.deadlineMillis < b.deadlineMillis;
    }
    return a.seq < b.seq;
  }

  /**
   * Assigns a READY or RUNNING job to a worker in a new generation (the next one when {@code
   * generation} is 0) and leases it until the lease or the job's timeout ends.
   */
  private void grant(Job job, WorkerState w, int generation, long leaseMillis) {
    job.generation = generation == 0 ? job.generation + 1 : generation;
    Attempt attempt =
        new Attempt(
            job, job.lastAttempt, w.id, job.generation, now, leaseEnd(job, now, leaseMillis));
    job.lastAttempt = attempt;
    job.dueAtMillis = attempt.leaseExpiresAtMillis;
    moveTo(job, JobState.RUNNING, "leased"); // the worker is in the LeaseGranted event
    events.add(new LeaseGranted(job.id, w.id, job.generation, job.dueAtMillis, job.task));
  }

  private long leaseEnd(Job job, long startedAt, long leaseMillis) {
    long end = saturatedAdd(now, leaseMillis);
    if (job.timeoutMillis > 0) {
      end = Math.min(end, saturatedAdd(startedAt, job.timeoutMillis));
    }
    return end;
  }

  private static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  private Rejected assign(AssignJob c) {
    Job job = jobs.get(c.jobId());
    if (job == null) {
      return Rejected.unknownJob(c.jobId());
    }
    Rejected bad = SpecValidator.name("worker_id", c.workerId());
    if (bad != null) {
      return bad;
    }
    int g = c.generation() == 0 ? job.generation + 1 : c.generation();
    if (job.state == JobState.RUNNING) {
      Attempt live = job.liveAttempt();
      if (g == job.generation) {
        return new Rejected(
            ErrorCode.ALREADY_ASSIGNED,
            "Job already assigned in generation " + g,
            new Assignment(job.id, live.workerId, job.generation));
      }
    } else if (job.state != JobState.READY) {
      return illegal(job, "assign");
    }
    if (g <= job.generation) {
      return new Rejected(
          ErrorCode.STALE_GENERATION,
          "generation "
              + g
              + " of job "
              + job.id
              + " is not newer than its current generation "
              + job.generation
              + "; assign with generation "
              + (job.generation + 1)
              + " or higher");
    }
    long leaseMillis = c.leaseMillis() == 0 ? config.defaultLeaseMillis() : c.leaseMillis();
    WorkerState w = workerOnContact(c.workerId(), 1, List.of(), List.of());
    Attempt live = job.liveAttempt();
    if (live != null) {
      // Revoke first (RUNNING -> READY), then grant: the old holder's lease ends in the same step
      // the new one begins, and every structure sees two ordinary transitions.
      live.end(now, Attempt.Outcome.SUPERSEDED, "superseded by generation " + g);
      events.add(
          new LeaseLost(
              job.id, live.workerId, live.generation, "superseded", LeaseLost.Reason.SUPERSEDED));
      moveTo(job, JobState.READY, "superseded by generation " + g);
    }
    grant(job, w, g, leaseMillis);
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Reports from the lease holder

  /** Checks that a report comes from the job's live lease holder; null when it does. */
  private Rejected checkHolder(Job job, String jobId, String workerId, int generation, String op) {
    if (job == null) {
      return Rejected.unknownJob(jobId);
    }
    if (generation < job.generation) {
      return new Rejected(
          ErrorCode.STALE_GENERATION,
          op
              + " of job "
              + job.id
              + " names generation "
              + generation
              + " but the job is in generation "
              + job.generation
              + " ("
              + job.state
              + "); this worker's lease was lost, drop the job");
    }
    if (job.state != JobState.RUNNING) {
      Rejected ended = endedAttempt(job, workerId, generation, op);
      return ended != null
          ? ended
          : new Rejected(
              ErrorCode.ILLEGAL_TRANSITION,
              op + " of job " + job.id + " refused: the job is " + job.state + ", not RUNNING");
    }
    Attempt live = job.liveAttempt();
    if (generation != job.generation || !live.workerId.equals(workerId)) {
      return new Rejected(
          ErrorCode.NOT_LEASE_HOLDER,
          op
              + " of job "
              + job.id
              + " from worker "
              + workerId
              + " generation "
              + generation
              + " refused: the lease is held by "
              + live.workerId
              + " in generation "
              + job.generation);
    }
    return null;
  }

  /**
   * CANCELLED or TIMED_OUT when {@code workerId} held the job's latest attempt in {@code
   * generation} and that attempt ended by a cancel or by the job's timeout; else null. Lets the
   * holder tell "stop, you were cancelled" from a lease it lost, without loosening fencing: any
   * other worker or generation is answered as before.
   */
  static Rejected endedAttempt(Job job, String workerId, int generation, String op) {
    Attempt last = job.lastAttempt;
    if (last == null || last.generation != generation || !last.workerId.equals(workerId)) {
      return null;
    }
    if (last.outcome == Attempt.Outcome.CANCELLED) {
      return new Rejected(
          ErrorCode.CANCELLED,
          op
              + " of job "
              + job.id
              + " refused: the job was"
              + " cancelled: "
              + last.error
              + "; stop working on it");
    }
    if (last.timedOut()) {
      return new Rejected(
          ErrorCode.TIMED_OUT,
          op
              + " of job "
              + job.id
              + " refused: attempt "
              + generation
              + " timed out after timeout_ms="
              + job.timeoutMillis
              + "; stop working on"
              + " it (the job is "
              + job.state
              + ")");
    }
    return null;
  }

  private Rejected acknowledge(AcknowledgeAssignment c) {
    Job job = jobs.get(c.jobId());
    Rejected bad = checkHolder(job, c.jobId(), c.workerId(), c.generation(), "acknowledge");
    if (bad != null) {
      return bad;
    }
    markAcknowledged(job);
    return null;
  }

  private void markAcknowledged(Job job) {
    Attempt live = job.liveAttempt();
    if (!live.acknowledged) {
      live.acknowledged = true;
      unacknowledged.remove(live);
    }
  }

  private Rejected heartbeat(HeartbeatJob c) {
    Job job = jobs.get(c.jobId());
    Rejected bad = checkHolder(job, c.jobId(), c.workerId(), c.generation(), "heartbeat");
    if (bad != null) {
      return bad;
    }
    Attempt live = job.liveAttempt();
    long leaseMillis = c.leaseMillis() == 0 ? config.defaultLeaseMillis() : c.leaseMillis();
    live.leaseExpiresAtMillis = leaseEnd(job, live.startedAtMillis, leaseMillis);
    job.dueAtMillis = live.leaseExpiresAtMillis;
    leases.update(job);
    markAcknowledged(job);
    touchIfKnown(c.workerId());
    return null;
  }

  private void touchIfKnown(String workerId) {
    WorkerState w = workers.get(workerId);
    if (w != null) {
      touch(w);
    }
  }

  private Rejected complete(CompleteJob c) {
    Job job = jobs.get(c.jobId());
    Rejected bad = checkHolder(job, c.jobId(), c.workerId(), c.generation(), "complete");
    if (bad != null) {
      return bad;
    }
    touchIfKnown(c.workerId());
    job.liveAttempt().end(now, Attempt.Outcome.SUCCEEDED, null);
    if (c.result() != null) {
      job.extras().result = c.result();
    }
    moveTo(job, JobState.SUCCEEDED, "completed");
    return null;
  }

  private Rejected fail(FailJob c) {
    Job job = jobs.get(c.jobId());
    Rejected bad = checkHolder(job, c.jobId(), c.workerId(), c.generation(), "fail");
    if (bad != null) {
      return bad;
    }
    touchIfKnown(c.workerId());
    String error = c.error() == null || c.error().isBlank() ? "failed" : c.error();
    job.liveAttempt().end(now, Attempt.Outcome.FAILED, error);
    failAttempt(job, error, c.retryable());
    return null;
  }

  private Rejected release(ReleaseJob c) {
    Job job = jobs.get(c.jobId());
    Rejected bad = checkHolder(job, c.jobId(), c.workerId(), c.generation(), "release");
    if (bad != null) {
      return bad;
    }
    job.liveAttempt().end(now, Attempt.Outcome.RELEASED, "released by worker");
    moveTo(job, JobState.READY, "released by " + c.workerId());
    return null;
  }

  /** After a failed attempt: retry with backoff while attempts remain, else dead-letter. */
  private void failAttempt(Job job, String error, boolean retryable) {
    job.failures++;
    if (retryable && job.failures < job.maxAttempts) {
      job.dueAtMillis = saturatedAdd(now, job.backoff.delayMillis(job.id, job.failures));
      moveTo(job, JobState.FAILED, error);
    } else {
      String why =
          retryable
              ? "attempts exhausted (" + job.failures + " of " + job.maxAttempts + "): " + error
              : "failed without retry: " + error;
      job.extras().reason = why;
      moveTo(job, JobState.DEAD, why);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Time

  private Rejected tick() {
    // Leases and workers first: the retries they cause may already be due (zero backoff), and
    // the due pass below then makes them READY in this same tick.
    while (!leases.isEmpty() && leases.peek().dueAtMillis <= now) {
      expireLease(leases.peek());
    }
    while (!liveness.isEmpty() && liveness.peek().deathAtMillis() <= now) {
      declareDead(liveness.peek());
    }
    while (!graveyard.isEmpty()
        && saturatedAdd(graveyard.peek().deathAtMillis(), config.workerRetentionMillis()) <= now) {
      // Dead workers hold no leases (declaring them dead reclaimed every one), so forgetting
      // one loses nothing but its listing; a worker that comes back registers again.
      removeWorker(graveyard.peek());
    }
    while (!firings.isEmpty() && firings.peek().nextFireAtMillis <= now) {
      fireDue(firings.peek());
    }
    while (!due.isEmpty() && due.peek().dueAtMillis <= now) {
      Job job = due.peek();
      moveTo(job, JobState.READY, job.state == JobState.FAILED ? "retry due" : "run time reached");
    }
    evictExpired();
    return null;
  }

  private void expireLease(Job job) {
    Attempt live = job.liveAttempt();
    boolean timedOut = job.timeoutMillis > 0 && live.startedAtMillis + job.timeoutMillis <= now;
    String cause =
        timedOut
            ? "timed out after timeout_ms=" + job.timeoutMillis
            : "lease expired without heartbeat from " + live.workerId;
    live.end(now, Attempt.Outcome.EXPIRED, cause);
    events.add(
        new LeaseLost(
            job.id,
            live.workerId,
            live.generation,
            cause,
            timedOut ? LeaseLost.Reason.TIMED_OUT : LeaseLost.Reason.LEASE_EXPIRED));
    failAttempt(job, cause, true);
  }

  private void declareDead(WorkerState w) {
    liveness.remove(w);
    w.alive = false;
    graveyard.add(w);
    int reclaimed = w.leases.size();
    for (Job job : w.leases.jobs()) {
      Attempt live = job.liveAttempt();
      String cause = "worker " + w.id + " died (silent for " + w.heartbeatTimeoutMillis + " ms)";
      live.end(now, Attempt.Outcome.WORKER_DIED, cause);
      events.add(new LeaseLost(job.id, w.id, live.generation, cause, LeaseLost.Reason.WORKER_DIED));
      failAttempt(job, cause, true);
    }
    events.add(new WorkerDied(w.id, reclaimed));
  }

  private void evictExpired() {
    while (!finished.isEmpty()) {
      long seq = finished.peekFirst();
      Job oldest = jobs.objectAt(seq);
      boolean due =
          oldest != null && isStaleFinishedEntry(oldest)
              || saturatedAdd(finishedAtMillis(seq, oldest), config.retentionMillis()) <= now;
      if (!due) {
        return;
      }
      popOldestFinished();
    }
  }

  /** When the job of a retention entry finished; {@code job} is null for an archived one. */
  long finishedAtMillis(long seq, Job job) {
    return job != null ? job.dueAtMillis : jobs.archivedFinishedAtMillis(seq);
  }

  /**
   * Takes the oldest retention entry: drops it if a revival left it behind, else evicts its job.
   */
  private void popOldestFinished() {
    long seq = finished.pollFirst();
    Job job = jobs.objectAt(seq);
    if (job == null) {
      // Read what the counts and the event need from the record; decoding it would cost more.
      long at = jobs.archivedPosition(seq);
      String id = jobs.archived().idAt(at);
      String queue = jobs.archived().queueAt(at);
      jobs.removeArchived(seq);
      evicted(id, queue, JobState.SUCCEEDED);
    } else if (!dropIfStale(job)) {
      jobs.remove(job);
      evicted(job.id, job.queue, job.state);
    }
  }

  /**
   * Whether a finished job can be kept as a record rather than an object: it succeeded and nothing
   * refers to it by object or will change it (no idempotency key, schedule, parents or dependents,
   * no revival bookkeeping). What is archived is only ever read again, except when a new job names
   * it as a parent, which takes it back out ({@link JobTable#live}).
   */
  static boolean archivable(Job job) {
    if (job.state != JobState.SUCCEEDED) {
      return false;
    }
    JobExtras x = job.extras;
    return x == null
        || x.idempotencyKey == null
            && x.parents.isEmpty()
            && x.children == null
            && x.dependents == null
            && x.scheduleId == null
            && x.cancelledBy == null
            && x.staleFinishedEntries == 0;
  }

  /**
   * Whether the retention queue's entry for {@code job} at its head is one a revival left behind
   * (the job's entries are popped oldest first, and its stale ones are its oldest).
   */
  static boolean isStaleFinishedEntry(Job job) {
    return job.extras != null && job.extras.staleFinishedEntries > 0;
  }

  /** Consumes a popped retention entry if it is stale; false when it is the job's real one. */
  private static boolean dropIfStale(Job popped) {
    if (!isStaleFinishedEntry(popped)) {
      return false;
    }
    popped.extras.staleFinishedEntries--;
    return true;
  }

  /** Accounts for a job the table no longer holds. */
  private void evicted(String id, String queueName, JobState state) {
    countsByState[state.ordinal()]--;
    QueueState q = queue(queueName);
    q.countsByState[state.ordinal()]--;
    dropIfIdle(q);
    events.add(new JobEvicted(id));
  }

  // ---------------------------------------------------------------------------------------------
  // Queues

  QueueState queue(String name) {
    QueueState q = queues.get(name);
    if (q == null) {
      q = new QueueState(name);
      queues.put(name, q);
    }
    return q;
  }

  /**
   * Forgets a queue that holds no jobs and has default settings: it would reappear as it is on the
   * next use, so keeping it only grows the engine. Nothing else refers to a queue's state: its
   * lanes hold only its READY jobs, and jobs, workers and schedules name queues by string.
   */
  void dropIfIdle(QueueState q) {
    if (q.isDefault() && q.isEmpty()) {
      queues.remove(q.name);
    }
  }

  private Rejected setQueuePaused(SetQueuePaused c) {
    Rejected bad = SpecValidator.name("queue", c.queue());
    if (bad != null) {
      return bad;
    }
    QueueState q = queue(c.queue());
    q.paused = c.paused();
    dropIfIdle(q);
    return null;
  }

  private Rejected setQueueConcurrency(SetQueueConcurrency c) {
    Rejected bad = SpecValidator.name("queue", c.queue());
    if (bad == null && c.maxRunning() < 0) {
      bad =
          SpecValidator.invalid(
              "max_running=%d of queue %s must not be negative", c.maxRunning(), c.queue());
    }
    if (bad != null) {
      return bad;
    }
    QueueState q = queue(c.queue());
    q.maxRunning = c.maxRunning();
    dropIfIdle(q);
    return null;
  }

  private Rejected setTaskConcurrency(SetTaskConcurrency c) {
    Rejected bad = SpecValidator.name("task", c.task());
    if (bad == null && c.maxRunning() < 0) {
      bad =
          SpecValidator.invalid(
              "max_running=%d of task %s must not be negative", c.maxRunning(), c.task());
    }
    if (bad != null) {
      return bad;
    }
    TaskLimit limit = taskLimit(c.task());
    limit.maxRunning = c.maxRunning();
    dropIfIdle(c.task(), limit);
    return null;
  }

  /**
   * A task's limit and running count. An entry exists exactly while the task has a limit or running
   * jobs, so the count is right whenever a limit is set, and idle task names do not accumulate.
   */
  TaskLimit taskLimit(String task) {
    TaskLimit limit = taskLimits.get(task);
    if (limit == null) {
      limit = new TaskLimit();
      taskLimits.put(task, limit);
    }
    return limit;
  }

  void dropIfIdle(String task, TaskLimit limit) {
    if (limit.maxRunning == 0 && limit.running == 0 && limit.rate == null) {
      taskLimits.remove(task);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Schedules

  private Rejected putSchedule(PutSchedule c) {
    ScheduleSpec spec = c.spec();
    Rejected bad =
        spec == null
            ? SpecValidator.invalid("schedule spec is missing")
            : SpecValidator.scheduleId(spec.scheduleId());
    if (bad != null) {
      return bad;
    }
    CronSchedule cron;
    long firstFire;
    try {
      cron = CronSchedule.parse(spec.cron(), spec.timeZone());
      firstFire = cron.nextFireAfter(now);
    } catch (RuntimeException e) {
      // Everything about the expression is settled here, before any state changes: a command
      // that throws after being logged would fail every replay of the log.
      return new Rejected(
          ErrorCode.INVALID_SCHEDULE,
          "cron expression \"" + spec.cron() + "\" cannot be evaluated: " + e.getMessage());
    }
    if (firstFire < 0) {
      return new Rejected(
          ErrorCode.INVALID_SCHEDULE,
          "cron expression \""
              + spec.cron()
              + "\" never fires after now; a schedule needs at least one future firing");
    }
    if (spec.template() == null
        || spec.overlap() == null
        || spec.catchUp() == null
        || spec.catchUpWindowMillis() < 0) {
      return SpecValidator.invalid(
          "schedule %s needs a job template, an overlap and a catch-up"
              + " policy, and a non-negative catch-up window",
          spec.scheduleId());
    }
    bad = SpecValidator.validate(spec.template().withDependsOn(List.of()), config);
    if (bad != null) {
      return bad;
    }
    ScheduleState s = schedules.get(spec.scheduleId());
    if (s == null) {
      s = new ScheduleState(spec, cron);
      schedules.put(spec.scheduleId(), s);
    } else {
      s.spec = spec;
      s.cron = cron;
      if (firings.contains(s)) {
        firings.remove(s);
      }
    }
    s.nextFireAtMillis = firstFire;
    firings.add(s);
    return null;
  }

  private Rejected setSchedulePaused(SetSchedulePaused c) {
    ScheduleState s = schedules.get(c.scheduleId());
    if (s == null) {
      return Rejected.unknownSchedule(c.scheduleId());
    }
    s.paused = c.paused();
    return null;
  }

  private Rejected deleteSchedule(DeleteSchedule c) {
    ScheduleState s = schedules.remove(c.scheduleId());
    if (s == null) {
      return Rejected.unknownSchedule(c.scheduleId());
    }
    if (firings.contains(s)) {
      firings.remove(s);
    }
    return null;
  }

  /**
   * Handles every firing of a schedule that is due, by its catch-up and overlap policies.
   *
   * <p>Of the firings due at this tick, only the latest can be on time, and only if it is late by
   * at most {@link EngineConfig#misfireThresholdMillis()}: every earlier one was overtaken by a
   * later firing before it could run, so it was missed, however short the outage. The catch-up
   * policy then decides: {@code SKIP} runs the on-time firing only; {@code ONCE} runs exactly one
   * job, for the latest firing, whether on time or not; {@code EACH_WITHIN_WINDOW} runs the on-time
   * firing and each missed one at most {@code catchUpWindowMillis} old. So the number of jobs one
   * outage creates depends on the policy and the window, never on how long it lasted.
   */
  private void fireDue(ScheduleState s) {
    firings.remove(s);
    ArrayList<Long> due = new ArrayList<>();
    long t = s.nextFireAtMillis;
    while (t >= 0 && t <= now && due.size() < EngineConfig.CATCH_UP_FIRINGS_MAX) {
      due.add(t);
      t = s.cron.nextFireAfter(t);
    }
    if (t >= 0 && t <= now) {
      // More due firings than one tick lists: those in between are dropped without an event, but
      // the latest due one is still found, so the policy decides about the right firing.
      due.add(latestFiringUpTo(s.cron, t, now));
      t = s.cron.nextFireAfter(now);
    }
    int last = due.size() - 1;
    boolean latestOnTime = now - due.get(last) <= config.misfireThresholdMillis();
    for (int i = 0; i <= last; i++) {
      long fireAt = due.get(i);
      boolean onTime = i == last && latestOnTime;
      boolean run =
          switch (s.spec.catchUp()) {
            case SKIP -> onTime;
            case ONCE -> i == last;
            case EACH_WITHIN_WINDOW -> onTime || now - fireAt <= s.spec.catchUpWindowMillis();
          };
      if (run) {
        fireOnce(s, fireAt);
      } else {
        skip(
            s,
            fireAt,
            (i == last
                    ? "late by "
                        + (now - fireAt)
                        + " ms, more than the misfire"
                        + " threshold of "
                        + config.misfireThresholdMillis()
                        + " ms"
                    : "missed: a later firing was due too")
                + " (catch-up "
                + s.spec.catchUp()
                + ")");
      }
    }
    s.nextFireAtMillis = t;
    if (t >= 0) {
      firings.add(s);
    }
  }

  /**
   * The latest firing in {@code [first, now]}, where {@code first <= now} is a firing: searched
   * back from {@code now} in doubling steps, so a long outage costs O(log) evaluations.
   */
  private static long latestFiringUpTo(CronSchedule cron, long first, long now) {
    long latest = first;
    for (long back = 1_000; ; back = back > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : back * 2) {
      long from = now - back <= first ? first : now - back;
      long f = cron.nextFireAfter(from);
      if (f >= 0 && f <= now) {
        latest = f;
        break;
      }
      if (from == first) {
        return first;
      }
    }
    for (int i = 0; i < EngineConfig.CATCH_UP_FIRINGS_MAX; i++) {
      long next = cron.nextFireAfter(latest);
      if (next < 0 || next > now) {
        break;
      }
      latest = next;
    }
    return latest;
  }

  private void fireOnce(ScheduleState s, long fireAt) {
    if (s.paused) {
      skip(s, fireAt, "schedule paused");
      return;
    }
    if (!s.liveJobIds.isEmpty()) {
      switch (s.spec.overlap()) {
        case SKIP -> {
          skip(s, fireAt, "previous run still live (overlap SKIP)");
          return;
        }
        case QUEUE_ONE -> {
          if (s.queuedFireAtMillis != 0) {
            skip(s, fireAt, "previous run still live and one firing already queued");
          } else {
            s.queuedFireAtMillis = fireAt;
          }
          return;
        }
        case ALLOW -> {}
      }
    }
    createFiring(s, fireAt);
  }

  private void createFiring(ScheduleState s, long fireAt) {
    String jobId = s.id() + "@" + fireAt;
    if (jobs.contains(jobId)) {
      skip(s, fireAt, "a job for this firing exists already");
      return;
    }
    JobSpec spec = s.spec.template();
    // run-at = the fire time: already reached, so the job is READY now, and its view shows when
    // the firing was due. Each firing carries the schedule's trace context.
    spec =
        new JobSpec(
            jobId,
            spec.queue(),
            spec.task(),
            spec.payload(),
            spec.priority(),
            spec.deadlineMillis(),
            fireAt,
            List.of(),
            spec.maxAttempts(),
            spec.backoff(),
            spec.timeoutMillis(),
            null,
            spec.trace(),
            spec.fairnessKey());
    s.fired++;
    s.lastFireAtMillis = fireAt;
    s.liveJobIds.add(jobId);
    events.add(new ScheduleFired(s.id(), fireAt, jobId));
    createJob(spec, s.id(), Map.of());
  }

  private void skip(ScheduleState s, long fireAt, String reason) {
    s.skipped++;
    events.add(new FiringSkipped(s.id(), fireAt, reason));
  }

  /** A schedule's job finished: it no longer blocks overlap, and a queued firing may run. */
  private void scheduleJobFinished(Job job) {
    if (job.extras == null || job.extras.scheduleId == null) {
      return;
    }
    ScheduleState s = schedules.get(job.extras.scheduleId);
    if (s == null || !s.liveJobIds.remove(job.id)) {
      return;
    }
    if (s.liveJobIds.isEmpty() && s.queuedFireAtMillis != 0) {
      long fireAt = s.queuedFireAtMillis;
      s.queuedFireAtMillis = 0;
      createFiring(s, fireAt);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The one place where jobs change state

  /** Records a new job in its first state. */
  private void enter(Job job, JobState state, String reason) {
    job.state = state;
    countsByState[state.ordinal()]++;
    queue(job.queue).countsByState[state.ordinal()]++;
    events.add(new JobTransitioned(job.id, null, state, reason, job.queue, job.task));
  }

  /**
   * Moves a job to another state: takes it out of the structures of its old state, puts it into
   * those of the new one, keeps counts in step, and handles what follows a job finishing
   * (dependants, schedule overlap, retention, the dead-letter queue).
   */
  void moveTo(Job job, JobState to, String reason) {
    JobState from = job.state;
    Invariants.check(
        from.canMoveTo(to), "illegal transition %s -> %s for job %s", from, to, job.id);
    leave(job, from);
    job.state = to;
    QueueState q = queue(job.queue);
    countsByState[from.ordinal()]--;
    q.countsByState[from.ordinal()]--;
    countsByState[to.ordinal()]++;
    q.countsByState[to.ordinal()]++;
    arrive(job, to);
    events.add(new JobTransitioned(job.id, from, to, reason, job.queue, job.task));
    if (to.isFinished()) {
      finish(job, to);
    }
  }

  private void leave(Job job, JobState from) {
    switch (from) {
      case SCHEDULED, FAILED -> due.remove(job);
      case READY -> {
        QueueState q = queue(job.queue);
        ReadyLane lane = q.lane(job.task, job.priority);
        if (q.fair) {
          lane.count(-1);
          q.fairRing.remove(job);
        } else {
          lane.remove(job);
        }
      }
      case RUNNING -> {
        leases.remove(job);
        Attempt live = job.lastAttempt;
        WorkerState w = workers.get(live.workerId);
        if (w != null) {
          w.leases.remove(live);
          w.countRunning(job, -1);
        }
        queue(job.queue).running--;
        TaskLimit limit = taskLimits.get(job.task);
        Invariants.check(
            limit != null, "RUNNING job %s of task %s has no task entry", job.id, job.task);
        limit.running--;
        dropIfIdle(job.task, limit);
        unacknowledged.remove(live);
      }
      case DEAD -> deadLetters.remove(job.id);
      case PENDING, SUCCEEDED, CANCELLED -> {}
    }
  }

  private void arrive(Job job, JobState to) {
    switch (to) {
      case SCHEDULED, FAILED -> due.add(job);
      case READY -> {
        job.readyStamp++;
        QueueState q = queue(job.queue);
        ReadyLane lane = q.lane(job.task, job.priority);
        if (q.fair) {
          lane.count(1);
          q.fairRing.add(job);
        } else {
          lane.add(job);
        }
      }
      case RUNNING -> {
        leases.add(job);
        Attempt live = job.lastAttempt;
        WorkerState w = workers.get(live.workerId);
        w.leases.add(live);
        w.countRunning(job, 1);
        queue(job.queue).running++;
        taskLimit(job.task).running++;
        if (!live.acknowledged) {
          unacknowledged.add(live);
        }
      }
      case DEAD -> deadLetters.put(job.id, job);
      case PENDING, SUCCEEDED, CANCELLED -> {}
    }
  }

  private void finish(Job job, JobState to) {
    job.dueAtMillis = now; // a finished job has no due time; the field holds when it finished
    if (to.isTerminal()) {
      finished.addLast(job.seq);
      // Counted by state, not by the queue's size, which includes stale entries of revived jobs.
      while (countsByState[JobState.SUCCEEDED.ordinal()]
              + countsByState[JobState.CANCELLED.ordinal()]
          > config.finishedJobsMax()) {
        popOldestFinished();
      }
    }
    ArrayList<Job> children = takeChildren(job);
    if (to == JobState.SUCCEEDED) {
      for (Job child : children) {
        child.unmetParents--;
        if (child.unmetParents == 0 && child.state == JobState.PENDING) {
          release(child, child.extras == null ? 0 : child.extras.runAtMillis, "parents succeeded");
        }
      }
    } else {
      for (Job child : children) {
        cancelTree(child, job.id, "parent " + job.id + " is " + to);
      }
    }
    scheduleJobFinished(job);
    if (archivable(job) && jobs.objectAt(job.seq) == job) {
      jobs.archive(job);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rejections

  private static Rejected illegal(Job job, String command) {
    return new Rejected(
        ErrorCode.ILLEGAL_TRANSITION,
        command + " of job " + job.id + " refused: the job is " + job.state);
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  private EngineQueries queries;

  /** Read-only questions about this engine's state; same threading rule as the engine. */
  public EngineQueries queries() {
    if (queries == null) {
      queries = new EngineQueries(this);
    }
    return queries;
  }

  Job job(String id) {
    return jobs.get(id);
  }

  /**
   * Archives the finished jobs that a live engine would hold as records, in the order they
   * finished; for an engine rebuilt from a snapshot, which reads every job as an object.
   */
  void archiveFinishedJobs() {
    finished.forEach(
        seq -> {
          Job job = jobs.objectAt(seq);
          if (job != null && archivable(job)) {
            jobs.archive(job);
          }
        });
  }
}
