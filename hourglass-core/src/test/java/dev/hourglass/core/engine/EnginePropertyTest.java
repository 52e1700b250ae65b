package dev.hourglass.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hourglass.core.codec.CommandCodec;
import dev.hourglass.core.codec.FastDataInput;
import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Assignment;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.core.view.QueueView;
import dev.hourglass.core.view.WorkerView;
import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Random command sequences against the engine's invariants. Each run is one seed; a failure names
 * its seed, and {@code -Dhourglass.seed=N} replays exactly that run.
 *
 * <p>Invariants checked after every command: no job has two live assignments; a job is RUNNING
 * exactly when it has a live assignment; generations never go backwards; counts by state add up to
 * the jobs held and match a recount; a job is leased only after all its parents succeeded; a lease
 * never skips a READY job that should run first; a lease grants only task types its worker can run;
 * {@link EngineQueries#wouldGrant} says 0 exactly when the lease grants nothing, and neither it nor
 * {@link EngineQueries#grantableJobsMax} undercounts what the lease grants. Bounded state, with
 * workers and queue names churning: a dead worker is held only until its retention ends, a queue
 * only while it holds jobs or has settings, a task entry only while the task has a limit or running
 * jobs. At the end: replaying the same commands gives a byte-identical state; so does replaying
 * them after a codec round trip; and an engine restored from a mid-run snapshot ends in the same
 * state as the original.
 */
class EnginePropertyTest {
  private static final int RUNS = Integer.getInteger("hourglass.runs", 40);
  private static final int STEPS = Integer.getInteger("hourglass.steps", 1_500);

  @Test
  void randomCommandSequencesKeepEveryInvariant() throws Exception {
    Long fixed = Long.getLong("hourglass.seed");
    long[] seeds =
        fixed != null
            ? new long[] {fixed}
            : LongStream.concat(LongStream.of(1, 2, 3), new SplittableRandom().longs(RUNS - 3))
                .toArray();
    for (long seed : seeds) {
      try {
        new Run(seed).execute();
      } catch (AssertionError e) {
        throw new AssertionError(
            "property failed for seed "
                + seed
                + "; replay with -Dhourglass.seed="
                + seed
                + ": "
                + e.getMessage(),
            e);
      }
    }
  }

  /** One random run: generates commands, applies them, checks invariants. */
  private static final class Run {
    final long seed;
    final SplittableRandom random;
    static final long WORKER_RETENTION_MILLIS = 10_000;
    final Engine engine;
    final List<Command> commands = new ArrayList<>();
    final List<String> jobIds = new ArrayList<>();
    final Map<String, Integer> maxGeneration = new HashMap<>();
    final List<LeaseGranted> granted = new ArrayList<>();

    /** Jobs that succeeded, also after retention evicted them. */
    final Set<String> succeeded = new HashSet<>();

    final String[] workers = {"w1", "w2", "w3", "w4"};

    /** Short-lived workers, each with a new id; and queue names, each used for a while. */
    int churnedWorkers;

    int churnedQueues;
    final String[] tasks = {"a", "b", "c"};

    /** Registered task types by worker (empty: any), as the engine should hold them. */
    final Map<String, List<String>> registeredTasks = new HashMap<>();

    /** Task types that got a concurrency limit; their order cannot be checked within a lease. */
    final java.util.Set<String> limitedTasks = new HashSet<>();

    long now = 1_700_000_000_000L;
    byte[] midSnapshot;
    int midIndex;

    Run(long seed) {
      this.seed = seed;
      this.random = new SplittableRandom(seed);
      // Odd seeds keep few finished jobs for a short time, so that evictions (and the retention
      // entries that revivals leave behind) happen within a run.
      EngineConfig config =
          seed % 2 == 0
              ? EngineConfig.DEFAULTS.withRetentionMillis(3_600_000)
              : EngineConfig.DEFAULTS.withRetentionMillis(60_000).withFinishedJobsMax(25);
      this.engine = new Engine(config.withWorkerRetentionMillis(WORKER_RETENTION_MILLIS));
    }

    void execute() throws Exception {
      for (String w : workers) {
        apply(register(w));
      }
      for (int step = 0; step < STEPS; step++) {
        apply(next());
        if (step == STEPS / 2) {
          midSnapshot = EngineSnapshot.toBytes(engine);
          midIndex = commands.size();
        }
      }
      checkReplays();
      // The bound on held workers, queues and task entries is checked after every command
      // (checkBounds): nothing idle is held. How many were held at once depends on the random mix
      // (a queue with a job in it is rightly kept), so no fraction is asserted here.
    }

    Command register(String w) {
      List<String> can = taskSubset();
      return new Command.RegisterWorker(
          now, w, 1 + random.nextInt(4), List.of(), 2_000 + random.nextInt(20_000), can);
    }

    /** Empty (any task) half the time, else one or two of the task types. */
    List<String> taskSubset() {
      if (random.nextBoolean()) {
        return List.of();
      }
      String first = pick(tasks);
      String second = pick(tasks);
      return first.equals(second) ? List.of(first) : List.of(first, second);
    }

    Command next() {
      if (random.nextInt(10) == 0) {
        return churn();
      }
      int dice = random.nextInt(100);
      if (dice < 25) {
        return submit();
      } else if (dice < 45) {
        String worker =
            churnedWorkers > 0 && random.nextInt(4) == 0
                ? "x" + (churnedWorkers - 1 - random.nextInt(Math.min(churnedWorkers, 3)))
                : pick(workers);
        return new Command.LeaseJobs(
            now,
            worker,
            1 + random.nextInt(3),
            List.of(),
            1_000 + random.nextInt(5_000),
            random.nextInt(3) == 0 ? taskSubset() : List.of());
      } else if (dice < 65) {
        return report();
      } else if (dice < 80) {
        now += random.nextInt(3_000);
        return new Command.Tick(now);
      } else if (dice < 85) {
        return new Command.WorkerHeartbeat(now, pick(workers));
      } else if (dice < 88 && !jobIds.isEmpty()) {
        return new Command.CancelJob(now, pick(jobIds), "random cancel");
      } else if (dice < 91 && !jobIds.isEmpty()) {
        return new Command.RedriveJob(now, pick(jobIds));
      } else if (dice < 92 && !jobIds.isEmpty()) {
        return new Command.RunJobNow(now, pick(jobIds));
      } else if (dice < 93) {
        return register(pick(workers));
      } else if (dice < 94) {
        String task = pick(tasks);
        limitedTasks.add(task);
        return new Command.SetTaskConcurrency(now, task, random.nextInt(3));
      } else if (dice < 95) {
        return new Command.SetQueuePaused(now, "default", random.nextInt(4) == 0);
      } else if (dice < 97 && !jobIds.isEmpty()) {
        String job = pick(jobIds);
        int g = maxGeneration.getOrDefault(job, 0) + random.nextInt(3) - 1;
        return new Command.AssignJob(now, job, pick(workers), Math.max(0, g), 3_000);
      } else {
        return new Command.SubmitJobs(now, List.of(spec(), spec()));
      }
    }

    /** A new short-lived worker, or a queue or task setting on a churning name. */
    Command churn() {
      return switch (random.nextInt(4)) {
        case 0 ->
            new Command.RegisterWorker(
                now,
                "x" + churnedWorkers++,
                1 + random.nextInt(2),
                List.of(),
                1_000 + random.nextInt(5_000));
        case 1 -> new Command.SetQueuePaused(now, settingsQueue(), random.nextInt(3) == 0);
        case 2 -> new Command.SetQueueConcurrency(now, settingsQueue(), random.nextInt(3));
        default ->
            new Command.SetTaskConcurrency(
                now, pick(new String[] {"a", "b", "c", "d"}), random.nextInt(3));
      };
    }

    /**
     * A queue whose settings change: sometimes the current churning name, so that a queue with jobs
     * gets and loses settings; otherwise one of two fixed names, so that settings are also reset on
     * queues that are otherwise idle.
     */
    String settingsQueue() {
      return random.nextInt(3) == 0 ? "q" + churnedQueues : "s" + random.nextInt(2);
    }

    /** One of the last few queue names; sometimes a new one. */
    String queueName() {
      if (random.nextInt(2) == 0) {
        churnedQueues++;
      }
      return "q" + Math.max(0, churnedQueues - random.nextInt(4));
    }

    Command submit() {
      return new Command.SubmitJob(now, spec());
    }

    JobSpec spec() {
      String id = "j" + (jobIds.size() + random.nextInt(2)); // sometimes a duplicate id
      List<String> parents = new ArrayList<>();
      if (!jobIds.isEmpty() && random.nextInt(3) == 0) {
        for (int i = random.nextInt(3); i >= 0; i--) {
          String p = pick(jobIds);
          if (!parents.contains(p)) {
            parents.add(p);
          }
        }
      }
      JobSpec s =
          JobSpec.of(id, pick(tasks), "{}")
              .withPriority(random.nextInt(4))
              .withDependsOn(parents)
              .withMaxAttempts(1 + random.nextInt(3))
              .withBackoff(new Backoff(random.nextInt(2_000), 10_000, random.nextBoolean()));
      if (random.nextInt(4) == 0) {
        s = s.withDeadline(now + random.nextInt(100_000));
      }
      if (random.nextInt(4) == 0) {
        s = s.withRunAt(now + random.nextInt(10_000));
      }
      if (random.nextInt(5) == 0) {
        s = s.withTimeout(1_000 + random.nextInt(5_000));
      }
      if (random.nextInt(10) == 0) {
        s = s.withIdempotencyKey("key" + random.nextInt(20));
      }
      if (random.nextInt(3) == 0) {
        s = s.withQueue(queueName());
      }
      if (random.nextInt(4) == 0) {
        s =
            s.withTrace(
                new dev.hourglass.core.command.TraceContext(
                    String.format(
                        "00-%032x-%016x-01", 1 + random.nextInt(1000), 1 + random.nextInt(1000)),
                    random.nextBoolean() ? null : "k=" + random.nextInt(100)));
      }
      if (random.nextInt(4) == 0) {
        s = s.withFairnessKey("tenant" + random.nextInt(3)); // carried; no queue here is fair
      }
      return s;
    }

    /** A report from a lease holder, or (sometimes) from a stale or wrong one. */
    Command report() {
      if (granted.isEmpty()) {
        return new Command.Tick(now);
      }
      LeaseGranted g = granted.get(random.nextInt(granted.size()));
      String worker = random.nextInt(10) == 0 ? pick(workers) : g.workerId();
      int gen = random.nextInt(10) == 0 ? g.generation() - 1 : g.generation();
      return switch (random.nextInt(5)) {
        case 0 -> new Command.HeartbeatJob(now, g.jobId(), worker, gen, 3_000);
        case 1 -> new Command.FailJob(now, g.jobId(), worker, gen, "boom", random.nextInt(4) > 0);
        case 2 -> new Command.AcknowledgeAssignment(now, g.jobId(), worker, gen);
        case 3 -> new Command.ReleaseJob(now, g.jobId(), worker, gen);
        default -> new Command.CompleteJob(now, g.jobId(), worker, gen, "done");
      };
    }

    void apply(Command c) {
      commands.add(c);
      Map<String, JobState> before = states();
      var lease = c instanceof Command.LeaseJobs l ? l : null;
      // Any first contact (or the first after retention forgot the worker) registers the worker:
      // a lease with its own task types, an explicit assignment with none (any).
      registeredTasks.keySet().removeIf(w -> engine.queries().worker(w).isEmpty());
      if (lease != null && engine.queries().worker(lease.workerId()).isEmpty()) {
        registeredTasks.put(lease.workerId(), lease.tasks());
      }
      int would =
          lease == null
              ? 0
              : engine
                  .queries()
                  .wouldGrant(lease.workerId(), lease.max(), lease.queues(), lease.tasks());
      long grantable = engine.queries().grantableJobsMax();
      Outcome outcome = engine.apply(c);
      if (outcome instanceof Applied && c instanceof Command.RegisterWorker r) {
        registeredTasks.put(r.workerId(), r.tasks()); // registering replaces the task types
      }
      if (outcome instanceof Applied applied) {
        int grants = 0;
        for (Event e : applied.events()) {
          observe(e, before, lease);
          grants += e instanceof LeaseGranted ? 1 : 0;
        }
        if (lease != null) {
          assertThat(grants > 0)
              .as("lease %s granted %d; wouldGrant said %d", c, grants, would)
              .isEqualTo(would > 0);
          assertThat(grants)
              .as("grants of %s", c)
              .isLessThanOrEqualTo(would)
              .isLessThanOrEqualTo((int) Math.min(Integer.MAX_VALUE, grantable));
        }
      }
      checkInvariants();
    }

    /** The task types a lease may take: its own, else its worker's registered ones. */
    List<String> admitted(Command.LeaseJobs lease) {
      return lease.tasks().isEmpty()
          ? registeredTasks.getOrDefault(lease.workerId(), List.of())
          : lease.tasks();
    }

    void observe(Event e, Map<String, JobState> before, Command.LeaseJobs lease) {
      boolean pulled = lease != null;
      if (e instanceof Event.JobTransitioned t && t.from() == null && !jobIds.contains(t.jobId())) {
        jobIds.add(t.jobId());
      }
      if (e instanceof Event.JobTransitioned t && t.to() == JobState.SUCCEEDED) {
        succeeded.add(t.jobId());
      }
      if (e instanceof LeaseGranted g) {
        granted.add(g);
        JobView job = engine.queries().job(g.jobId()).orElseThrow();
        for (String parent : job.dependsOn()) {
          JobState state = engine.queries().state(parent);
          assertThat(state == JobState.SUCCEEDED || (state == null && succeeded.contains(parent)))
              .as("parent %s of leased %s is %s", parent, g.jobId(), state)
              .isTrue();
        }
        Integer previous = maxGeneration.put(g.jobId(), g.generation());
        assertThat(g.generation())
            .as("generation of %s", g.jobId())
            .isGreaterThan(previous == null ? 0 : previous);
        if (pulled) { // an explicit AssignJob chooses its job; only pulls follow the order
          List<String> admitted = admitted(lease);
          assertThat(admitted.isEmpty() || admitted.contains(job.task()))
              .as(
                  "%s of task %s leased to %s, which runs %s",
                  job.jobId(), job.task(), g.workerId(), admitted)
              .isTrue();
          checkLeaseOrder(job, before, admitted);
        }
      }
    }

    /**
     * No job that was READY before this lease and still is should have run first, unless a setting
     * could have held it back (a paused queue, a queue or task limit) or the lease does not take
     * its task type.
     */
    void checkLeaseOrder(JobView leased, Map<String, JobState> before, List<String> admitted) {
      for (String id : jobIds) {
        if (before.get(id) != JobState.READY || engine.queries().state(id) != JobState.READY) {
          continue;
        }
        JobView other = engine.queries().job(id).orElseThrow();
        QueueView queue = engine.queries().queue(other.queue());
        TaskLimit limit = engine.taskLimits.get(other.task());
        if (queue.paused()
            || queue.maxRunning() > 0
            || (limit != null && limit.maxRunning > 0)
            || limitedTasks.contains(other.task())
            || !admitted.isEmpty() && !admitted.contains(other.task())) {
          continue; // held back by a setting, or not a task type this lease takes
        }
        boolean shouldHaveRunFirst =
            other.priority() > leased.priority()
                || (other.priority() == leased.priority()
                    && other.deadlineMillis() < leased.deadlineMillis());
        assertThat(shouldHaveRunFirst)
            .as(
                "READY %s (p%d d%d) skipped for %s (p%d d%d)",
                id,
                other.priority(),
                other.deadlineMillis(),
                leased.jobId(),
                leased.priority(),
                leased.deadlineMillis())
            .isFalse();
      }
    }

    Map<String, JobState> states() {
      Map<String, JobState> m = new HashMap<>();
      for (String id : jobIds) {
        m.put(id, engine.queries().state(id));
      }
      return m;
    }

    void checkInvariants() {
      EngineQueries q = engine.queries();
      Map<String, Integer> live = new HashMap<>();
      for (Assignment a : q.liveAssignments()) {
        assertThat(live.put(a.jobId(), a.generation()))
            .as("second live assignment of %s", a.jobId())
            .isNull();
        assertThat(a.generation()).isEqualTo(maxGeneration.getOrDefault(a.jobId(), 0));
      }
      long[] recount = new long[JobState.values().length];
      for (String id : jobIds) {
        JobState s = q.state(id);
        if (s == null) {
          continue;
        }
        recount[s.ordinal()]++;
        checkCancelledBy(engine.jobs.get(id));
        assertThat(live.containsKey(id))
            .as("%s is %s; live assignment?", id, s)
            .isEqualTo(s == JobState.RUNNING);
      }
      long total = 0;
      for (JobState s : JobState.values()) {
        assertThat(q.count(s)).as("count of %s", s).isEqualTo(recount[s.ordinal()]);
        total += q.count(s);
      }
      assertThat(total).isEqualTo(q.jobsHeld());
      checkBounds();
    }

    /** Nothing idle is held: dead workers past their retention, idle queues, idle task entries. */
    void checkBounds() {
      EngineQueries q = engine.queries();
      for (WorkerView w : q.workers()) {
        long deathAt = w.lastSeenMillis() + w.heartbeatTimeoutMillis();
        assertThat(w.alive() || deathAt + WORKER_RETENTION_MILLIS > engine.nowMillis())
            .as("dead worker %s held past its retention", w.workerId())
            .isTrue();
      }
      for (QueueView v : q.queues()) {
        long held = v.countsByState().values().stream().mapToLong(Long::longValue).sum();
        assertThat(v.paused() || v.maxRunning() > 0 || held > 0)
            .as("idle queue %s", v.name())
            .isTrue();
      }
      Map<String, Integer> runningByTask = new HashMap<>();
      for (Assignment a : q.liveAssignments()) {
        runningByTask.merge(q.job(a.jobId()).orElseThrow().task(), 1, Integer::sum);
      }
      for (var e : engine.taskLimits.entrySet()) {
        assertThat(e.getValue().running)
            .as("running of task %s", e.getKey())
            .isEqualTo(runningByTask.getOrDefault(e.getKey(), 0));
        assertThat(e.getValue().maxRunning > 0 || e.getValue().running > 0)
            .as("idle task entry %s", e.getKey())
            .isTrue();
      }
      assertThat(engine.taskLimits.keySet()).containsAll(runningByTask.keySet());
    }

    /** A job cancelled through a parent waits for that parent to be re-driven: it is not live. */
    void checkCancelledBy(Job job) {
      if (job.state != JobState.CANCELLED || job.extras == null || job.extras.cancelledBy == null) {
        return;
      }
      assertThat(job.extras.parents).as("parents of %s", job.id).contains(job.extras.cancelledBy);
      Job parent = engine.jobs.get(job.extras.cancelledBy);
      if (parent != null && parent.seq < job.seq) { // not a newer job that reuses an evicted id
        assertThat(parent.state)
            .as("state of %s, which cancelled %s", parent.id, job.id)
            .isIn(JobState.DEAD, JobState.CANCELLED);
      }
    }

    void checkReplays() throws Exception {
      Engine replayed = new Engine(engine.config());
      Engine decoded = new Engine(engine.config());
      // Succeeded jobs are held as records; an engine that holds them as objects must answer the
      // same to every command and show every job the same.
      Engine objects = new Engine(engine.config());
      objects.jobs.keepEveryJobAsAnObject();
      CommandCodec.Encoder encoder = new CommandCodec.Encoder();
      for (Command c : commands) {
        assertThat(objects.apply(c))
            .as("outcome of %s, jobs as objects", c)
            .isEqualTo(replayed.apply(c));
        byte[] record = CommandCodec.encode(c);
        assertThat(encoder.encode(c)).as("reused encoder on %s", c).isEqualTo(record);
        decoded.apply(CommandCodec.decode(record));
      }
      assertSameState(replayed, engine, "state after replay");
      assertSameState(decoded, engine, "state after codec replay");
      assertSameState(objects, engine, "state with every job held as an object");
      for (String id : jobIds) {
        assertThat(objects.queries().job(id))
            .as("view of %s", id)
            .isEqualTo(engine.queries().job(id));
      }

      Engine restored =
          EngineSnapshot.read(new FastDataInput(new ByteArrayInputStream(midSnapshot), 4096));
      assertThat(Arrays.equals(EngineSnapshot.toBytes(restored), midSnapshot))
          .as("snapshot round trip")
          .isTrue();
      Engine reference = new Engine(engine.config());
      for (Command c : commands.subList(0, midIndex)) {
        reference.apply(c);
      }
      for (Command c : commands.subList(midIndex, commands.size())) {
        Outcome expected = reference.apply(c);
        Outcome actual = restored.apply(c);
        assertThat(actual).as("outcome of %s after snapshot restore", c).isEqualTo(expected);
        assertSameState(restored, reference, "state after snapshot + " + c);
      }
      assertThat(new HashSet<>(engine.queries().jobs(JobFilter.ALL, null, 1_000).items()))
          .hasSize(engine.queries().jobsHeld());
    }

    /** Compares canonical snapshots; on a difference, names the first job that differs. */
    static void assertSameState(Engine actual, Engine expected, String what) {
      if (Arrays.equals(EngineSnapshot.toBytes(actual), EngineSnapshot.toBytes(expected))) {
        return;
      }
      var a = actual.queries().jobs(JobFilter.ALL, null, 1_000).items();
      var e = expected.queries().jobs(JobFilter.ALL, null, 1_000).items();
      for (int i = 0; i < Math.min(a.size(), e.size()); i++) {
        assertThat(a.get(i)).as(what).isEqualTo(e.get(i));
      }
      assertThat(actual.queries().workers()).as(what).isEqualTo(expected.queries().workers());
      assertThat(actual.queries().unacknowledgedAssignments())
          .as(what)
          .isEqualTo(expected.queries().unacknowledgedAssignments());
      assertThat(actual.queries().schedules()).as(what).isEqualTo(expected.queries().schedules());
      throw new AssertionError(what + ": snapshots differ outside jobs, workers and schedules");
    }

    <T> T pick(T[] items) {
      return items[random.nextInt(items.length)];
    }

    <T> T pick(List<T> items) {
      return items.get(random.nextInt(items.size()));
    }
  }
}
