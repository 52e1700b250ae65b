package dev.hourglass.server;

import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Event.LeaseLost;
import dev.hourglass.core.event.Event.WorkerDied;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.QueueView;
import dev.hourglass.core.view.TaskLimitView;
import dev.hourglass.core.view.WorkerView;
import dev.hourglass.runtime.EngineLoopListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's Prometheus metrics (listed in docs/API.md, "Metrics"). Counters and histograms are
 * fed from the apply loop's events; gauges (queue depth, jobs by state, workers, heartbeat ages,
 * parked long polls) are set from a {@link Snapshot} that a scrape takes on the loop thread, so
 * they are exact at scrape time and cost nothing between scrapes.
 *
 * <p><b>Bounded labels.</b> Queue, task and worker names are chosen by users, and a registry that
 * grows with every name a churning fleet ever used would grow without bound. So: the first {@link
 * #QUEUE_LABELS_MAX} distinct queue names since the server started are labels, later ones read
 * {@code other}; the first {@link #QUEUE_TASK_LABELS_MAX} distinct (queue, task) pairs keep their
 * task name, later pairs read task {@code other} under their queue label; at most {@link
 * #PRIORITY_LABELS_MAX} priorities per queue are labels (the highest; the rest are summed as {@code
 * other}); at most {@link #WORKER_LABELS_MAX} workers get a heartbeat-age series (the longest
 * silent, so a failing worker is never the one left out).
 *
 * <p>Thread-safety: {@link #events} and {@link #batchApplied} are called only on the apply loop
 * thread (the timing maps and the per-pair meter cache are confined to it); {@link #scrape} from
 * request threads, one at a time; {@link #overloaded} from any thread. Micrometer meters and the
 * label caps are thread-safe.
 */
final class ServerMetrics implements EngineLoopListener {
  /** Why: 100 queues cover a real deployment; past it, one more series instead of one each. */
  static final int QUEUE_LABELS_MAX = 100;

  /**
   * Why: the wait histogram has 20 series per pair; with the {@code other} pair of each queue label
   * a metric has at most 201 pairs, about 4,000 series for the histogram at worst.
   */
  static final int QUEUE_TASK_LABELS_MAX = 100;

  /** Why: priorities span two million values; the highest few are the ones an operator reads. */
  static final int PRIORITY_LABELS_MAX = 10;

  /** Why: a fleet of thousands must not mean thousands of series per scrape. */
  static final int WORKER_LABELS_MAX = 100;

  /** The label value that stands for every name past a cap. */
  static final String OTHER = "other";

  /** Wait-time buckets: fixed, few, and spanning a busy queue (ms) to a backlog (an hour). */
  private static final Duration[] WAIT_BUCKETS = {
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofMillis(2_500),
    Duration.ofSeconds(5),
    Duration.ofSeconds(10),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(5),
    Duration.ofMinutes(15),
    Duration.ofHours(1)
  };

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final int timedJobsMax;
  private final LabelCap queueLabels = new LabelCap(QUEUE_LABELS_MAX);
  private final Counter deadLetters;
  private final Counter cancelled;
  private final EnumMap<LeaseLost.Reason, Counter> leasesLost =
      new EnumMap<>(LeaseLost.Reason.class);
  private final EnumMap<Requeue, Counter> requeued = new EnumMap<>(Requeue.class);
  private final Counter workerDeaths;
  private final Counter overloaded;
  private final Timer runTime;
  private final Timer logBatch;
  private final DistributionSummary batchCommands;
  private final MultiGauge queueReady;
  private final MultiGauge queuePolicy;
  private final MultiGauge jobsByState;
  private final MultiGauge heartbeatAge;
  // Gauges hold their object weakly: these fields keep the numbers reachable, so a scrape never
  // reads NaN (a gauge over a lambda nobody else referenced did, once collected).
  private final AtomicLong workersAlive = new AtomicLong();
  private final AtomicLong parkedLongPolls = new AtomicLong();

  /** Loop thread only: meters by queue label, then task label; bounded by the label caps. */
  private final HashMap<String, HashMap<String, JobMeters>> byQueueTask = new HashMap<>();

  private int queueTaskPairs;

  /** Loop thread only: when a job became READY / started RUNNING, bounded by timedJobsMax. */
  private final HashMap<String, Long> readySince = new HashMap<>();

  private final HashMap<String, Long> runningSince = new HashMap<>();

  /** Why a job went back to READY for another attempt: the {@code reason} label's values. */
  enum Requeue {
    /** After a failed attempt (reported, lease expired, timed out, worker died), on backoff. */
    RETRY,
    /**
     * A running job given back: released by its worker or a deregistering worker, or its lease
     * superseded by a new assignment. No attempt is spent.
     */
    RELEASED,
    /** Re-driven from the dead-letter queue. */
    REDRIVEN
  }

  /** The meters of one (queue, task) label pair. */
  private record JobMeters(Counter submitted, Counter succeeded, Counter failed, Timer waitTime) {}

  ServerMetrics(int timedJobsMax) {
    this.timedJobsMax = timedJobsMax;
    deadLetters = counter("hourglass.jobs.dead", "jobs moved to the dead-letter queue");
    cancelled = counter("hourglass.jobs.cancelled", "jobs cancelled");
    for (LeaseLost.Reason r : LeaseLost.Reason.values()) {
      leasesLost.put(
          r,
          Counter.builder("hourglass.leases.lost")
              .description("leases that ended without a report, by reason")
              .tag("reason", label(r))
              .register(registry));
    }
    for (Requeue r : Requeue.values()) {
      requeued.put(
          r,
          Counter.builder("hourglass.jobs.requeued")
              .description("jobs made READY again for another attempt, by reason")
              .tag("reason", label(r))
              .register(registry));
    }
    workerDeaths = counter("hourglass.workers.died", "workers declared dead");
    overloaded = counter("hourglass.requests.overloaded", "requests refused with 503: full");
    runTime = histogram("hourglass.job.run", "time from leased to the attempt's end");
    logBatch =
        histogram(
            "hourglass.log.batch",
            "one group commit: log append, fsync and apply of a batch of commands");
    batchCommands =
        DistributionSummary.builder("hourglass.log.batch.commands")
            .description("commands per group commit")
            .publishPercentileHistogram()
            .register(registry);
    queueReady =
        MultiGauge.builder("hourglass.queue.ready")
            .description("READY jobs by queue and priority")
            .register(registry);
    queuePolicy =
        MultiGauge.builder("hourglass.queue.policy")
            .description("a queue's scheduling policy: weight, rate_per_second, burst, fair_keys")
            .register(registry);
    jobsByState =
        MultiGauge.builder("hourglass.jobs")
            .description("jobs held by queue and state")
            .register(registry);
    heartbeatAge =
        MultiGauge.builder("hourglass.worker.heartbeat.age")
            .baseUnit("seconds")
            .description("seconds since a live worker's last contact")
            .register(registry);
    Gauge.builder("hourglass.workers.alive", workersAlive, AtomicLong::get)
        .description("registered workers not declared dead")
        .register(registry);
    Gauge.builder("hourglass.longpolls.parked", parkedLongPolls, AtomicLong::get)
        .description("lease requests waiting for a job")
        .register(registry);
  }

  private static String label(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  private Counter counter(String name, String description) {
    return Counter.builder(name).description(description).register(registry);
  }

  private Timer histogram(String name, String description) {
    return Timer.builder(name)
        .description(description)
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000))
        .maximumExpectedValue(Duration.ofHours(1))
        .register(registry);
  }

  @Override
  public void overloaded() {
    overloaded.increment();
  }

  /** Loop thread: one group commit of {@code commands} took {@code nanos}. */
  @Override
  public void batchApplied(int commands, long nanos) {
    logBatch.record(nanos, TimeUnit.NANOSECONDS);
    batchCommands.record(commands);
  }

  /** Loop thread: what one applied command changed, at engine time {@code nowMillis}. */
  @Override
  public void events(List<Event> events, long nowMillis) {
    for (Event e : events) {
      switch (e) {
        case JobTransitioned t -> transitioned(t, nowMillis);
        case LeaseLost l -> leasesLost.get(l.reason()).increment();
        case WorkerDied w -> workerDeaths.increment();
        default -> {}
      }
    }
  }

  private void transitioned(JobTransitioned t, long now) {
    if (t.from() == null) {
      meters(t).submitted().increment();
    } else if (t.from() == JobState.READY) {
      Long since = readySince.remove(t.jobId());
      if (since != null && t.to() == JobState.RUNNING) {
        meters(t).waitTime().record(Math.max(0, now - since), TimeUnit.MILLISECONDS);
      }
    } else if (t.from() == JobState.RUNNING) {
      Long since = runningSince.remove(t.jobId());
      if (since != null) {
        runTime.record(Math.max(0, now - since), TimeUnit.MILLISECONDS);
      }
      if (t.to() == JobState.FAILED || t.to() == JobState.DEAD) {
        meters(t).failed().increment();
      }
    }
    if (t.to() == JobState.READY) {
      // From nowhere, PENDING or SCHEDULED it is a first run, not a re-queue.
      Requeue why =
          t.from() == null
              ? null
              : switch (t.from()) {
                case FAILED -> Requeue.RETRY;
                case RUNNING -> Requeue.RELEASED;
                case DEAD -> Requeue.REDRIVEN;
                case PENDING, SCHEDULED, READY, SUCCEEDED, CANCELLED -> null;
              };
      if (why != null) {
        requeued.get(why).increment();
      }
    }
    switch (t.to()) {
      case READY -> remember(readySince, t.jobId(), now);
      case RUNNING -> remember(runningSince, t.jobId(), now);
      case SUCCEEDED -> meters(t).succeeded().increment();
      case DEAD -> deadLetters.increment();
      case CANCELLED -> cancelled.increment();
      case PENDING, SCHEDULED, FAILED -> {}
    }
  }

  /** Loop thread: the meters for a job's queue and task, under the label caps. */
  private JobMeters meters(JobTransitioned t) {
    String queue = queueLabels.label(t.queue());
    var byTask = byQueueTask.computeIfAbsent(queue, q -> new HashMap<>());
    JobMeters m = byTask.get(t.task());
    if (m != null) {
      return m;
    }
    String task = t.task();
    if (queueTaskPairs >= QUEUE_TASK_LABELS_MAX) {
      task = OTHER;
      m = byTask.get(OTHER);
      if (m != null) {
        return m;
      }
    } else {
      queueTaskPairs++;
    }
    m = newMeters(queue, task);
    byTask.put(task, m);
    return m;
  }

  private JobMeters newMeters(String queue, String task) {
    Tags tags = Tags.of("queue", queue, "task", task);
    return new JobMeters(
        Counter.builder("hourglass.jobs.submitted")
            .tags(tags)
            .description("jobs created (submits and cron firings)")
            .register(registry),
        Counter.builder("hourglass.jobs.succeeded")
            .tags(tags)
            .description("attempts completed successfully")
            .register(registry),
        Counter.builder("hourglass.jobs.failed")
            .tags(tags)
            .description("attempts that failed (reported, lease lost)")
            .register(registry),
        Timer.builder("hourglass.job.wait")
            .tags(tags)
            .description("time from READY (due) to leased")
            .serviceLevelObjectives(WAIT_BUCKETS)
            .register(registry));
  }

  private void remember(HashMap<String, Long> map, String jobId, long now) {
    if (map.size() < timedJobsMax) {
      map.put(jobId, now);
    }
  }

  /**
   * What a scrape needs from the engine and the loop, copied on the loop thread.
   *
   * @param parkedLongPolls the loop's parked lease requests at that moment
   */
  record Snapshot(List<QueueView> queues, List<WorkerView> workers, int parkedLongPolls) {}

  /**
   * Bounds the task series of {@code hourglass_jobs_unrunnable}: the tasks with the most such jobs
   * get a series each and the rest are summed under {@code task="other"}, so a stream of one-off
   * task names cannot grow the scrape without limit.
   */
  static final int UNRUNNABLE_TASK_SERIES_MAX = 20;

  private final MultiGauge unrunnable =
      MultiGauge.builder("hourglass.jobs.unrunnable")
          .description("READY jobs that no live worker can run (its queue or task type), by task")
          .register(registry);

  private final MultiGauge partitionJobs =
      MultiGauge.builder("hourglass.partition.jobs")
          .description("jobs held by each partition (a node without partitions has partition 0)")
          .register(registry);
  private final MultiGauge partitionLogPosition =
      MultiGauge.builder("hourglass.partition.log.position")
          .description("the position of each partition's last durable command in its log")
          .register(registry);

  /**
   * Sets the per-partition gauges: an uneven spread of keys, or one partition whose log stops
   * moving, shows here while the node's totals look normal. N series each (N is bounded).
   */
  void refreshPartitions(List<Long> jobsHeld, List<Long> logPositions) {
    List<MultiGauge.Row<?>> jobs = new ArrayList<>();
    List<MultiGauge.Row<?>> positions = new ArrayList<>();
    for (int p = 0; p < jobsHeld.size(); p++) {
      jobs.add(MultiGauge.Row.of(Tags.of("partition", Integer.toString(p)), jobsHeld.get(p)));
      positions.add(
          MultiGauge.Row.of(Tags.of("partition", Integer.toString(p)), logPositions.get(p)));
    }
    partitionJobs.register(jobs, true);
    partitionLogPosition.register(positions, true);
  }

  /**
   * Bounds the series of {@code hourglass_task_policy}: task limits are set by hand, so a real
   * deployment has a few; past the cap (by task name) the rest are left out of the metric (summing
   * limits means nothing) and stay visible in {@code GET /api/v1/tasks/limits}.
   */
  static final int TASK_POLICY_TASKS_MAX = 100;

  private final MultiGauge taskPolicy =
      MultiGauge.builder("hourglass.task.policy")
          .description("a task type's limits: max_running, rate_per_second, burst")
          .register(registry);

  /** Sets {@code hourglass_task_policy} from the task types with a limit, by name. */
  void refreshTaskLimits(List<TaskLimitView> tasks) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (TaskLimitView t : tasks.subList(0, Math.min(tasks.size(), TASK_POLICY_TASKS_MAX))) {
      if (t.maxRunning() > 0) {
        rows.add(
            MultiGauge.Row.of(Tags.of("task", t.task(), "setting", "max_running"), t.maxRunning()));
      }
      if (!t.rate().isNone()) {
        rows.add(
            MultiGauge.Row.of(
                Tags.of("task", t.task(), "setting", "rate_per_second"),
                t.rate().milliPerSecond() / 1000.0));
        rows.add(
            MultiGauge.Row.of(Tags.of("task", t.task(), "setting", "burst"), t.rate().burst()));
      }
    }
    taskPolicy.register(rows, true);
  }

  /** Sets {@code hourglass_jobs_unrunnable} from the engine's list (see EngineQueries). */
  void refreshUnrunnable(List<dev.hourglass.core.view.UnrunnableView> lanes) {
    Map<String, Long> byTask = new HashMap<>();
    for (var u : lanes) {
      byTask.merge(u.task(), u.ready(), Long::sum);
    }
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(byTask.entrySet());
    sorted.sort(
        Map.Entry.<String, Long>comparingByValue()
            .reversed()
            .thenComparing(Map.Entry.comparingByKey()));
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    long other = 0;
    for (int i = 0; i < sorted.size(); i++) {
      if (i < UNRUNNABLE_TASK_SERIES_MAX) {
        rows.add(
            MultiGauge.Row.of(Tags.of("task", sorted.get(i).getKey()), sorted.get(i).getValue()));
      } else {
        other += sorted.get(i).getValue();
      }
    }
    if (other > 0) {
      rows.add(MultiGauge.Row.of(Tags.of("task", OTHER), other));
    }
    unrunnable.register(rows, true);
  }

  /**
   * Sets the gauges from a snapshot taken at wall-clock time {@code nowMillis} and returns the
   * Prometheus text. One scrape at a time, so two scrapes never interleave their gauge rows.
   */
  synchronized String scrape(Snapshot s, long nowMillis) {
    refreshQueues(s.queues());
    refreshWorkers(s.workers(), nowMillis);
    parkedLongPolls.set(s.parkedLongPolls());
    return registry.scrape();
  }

  private void refreshQueues(List<QueueView> queues) {
    // Queues past the cap share the label "other", so their counts are summed.
    Map<String, TreeMap<Integer, Long>> ready = new HashMap<>();
    Map<String, EnumMap<JobState, Long>> states = new HashMap<>();
    for (QueueView q : queues) {
      String queue = queueLabels.label(q.name());
      var byPriority = ready.computeIfAbsent(queue, k -> new TreeMap<>(Comparator.reverseOrder()));
      q.readyByPriority().forEach((p, n) -> byPriority.merge(p, n, Long::sum));
      var byState = states.computeIfAbsent(queue, k -> new EnumMap<>(JobState.class));
      q.countsByState().forEach((st, n) -> byState.merge(st, n, Long::sum));
    }
    List<MultiGauge.Row<?>> readyRows = new ArrayList<>();
    ready.forEach(
        (queue, byPriority) -> {
          long rest = 0;
          int labelled = 0;
          for (Map.Entry<Integer, Long> e : byPriority.entrySet()) {
            if (labelled++ < PRIORITY_LABELS_MAX) {
              readyRows.add(
                  MultiGauge.Row.of(
                      Tags.of("queue", queue, "priority", Integer.toString(e.getKey())),
                      e.getValue()));
            } else {
              rest += e.getValue();
            }
          }
          if (labelled > PRIORITY_LABELS_MAX) {
            readyRows.add(MultiGauge.Row.of(Tags.of("queue", queue, "priority", OTHER), rest));
          }
        });
    List<MultiGauge.Row<?>> stateRows = new ArrayList<>();
    states.forEach(
        (queue, byState) ->
            byState.forEach(
                (st, n) ->
                    stateRows.add(
                        MultiGauge.Row.of(Tags.of("queue", queue, "state", st.name()), n))));
    queueReady.register(readyRows, true);
    jobsByState.register(stateRows, true);
    queuePolicy.register(policyRows(queues), true);
  }

  /**
   * One row per setting of each queue whose policy is not the default (a weight, a rate limit,
   * fairness); queues past the label cap are left out, since summing their settings means nothing.
   */
  private List<MultiGauge.Row<?>> policyRows(List<QueueView> queues) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (QueueView q : queues) {
      var p = q.policy();
      String queue = queueLabels.label(q.name());
      if (queue.equals(OTHER) || p.equals(QueueView.Policy.DEFAULT)) {
        continue;
      }
      rows.add(MultiGauge.Row.of(Tags.of("queue", queue, "setting", "weight"), p.weight()));
      if (!p.rate().isNone()) {
        rows.add(
            MultiGauge.Row.of(
                Tags.of("queue", queue, "setting", "rate_per_second"),
                p.rate().milliPerSecond() / 1000.0));
        rows.add(MultiGauge.Row.of(Tags.of("queue", queue, "setting", "burst"), p.rate().burst()));
      }
      if (p.fair()) {
        rows.add(
            MultiGauge.Row.of(Tags.of("queue", queue, "setting", "fair_keys"), p.activeKeys()));
      }
    }
    return rows;
  }

  private void refreshWorkers(List<WorkerView> workers, long nowMillis) {
    List<WorkerView> alive = new ArrayList<>();
    for (WorkerView w : workers) {
      if (w.alive()) {
        alive.add(w);
      }
    }
    workersAlive.set(alive.size());
    alive.sort(Comparator.comparingLong(WorkerView::lastSeenMillis)); // longest silent first
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    for (WorkerView w : alive.subList(0, Math.min(alive.size(), WORKER_LABELS_MAX))) {
      rows.add(
          MultiGauge.Row.of(
              Tags.of("worker", w.workerId()),
              Math.max(0, nowMillis - w.lastSeenMillis()) / 1000.0));
    }
    heartbeatAge.register(rows, true);
  }

  /**
   * The first {@code max} distinct values keep their own label; any later value reads {@link
   * #OTHER}. A value once admitted stays admitted until the server restarts. Thread-safe: reads are
   * lock-free, admissions take the lock so the count never passes {@code max}.
   */
  static final class LabelCap {
    private final int max;
    private final Set<String> admitted = ConcurrentHashMap.newKeySet();

    LabelCap(int max) {
      this.max = max;
    }

    String label(String value) {
      if (admitted.contains(value)) {
        return value;
      }
      synchronized (this) {
        if (admitted.size() < max) {
          admitted.add(value);
          return value;
        }
      }
      return admitted.contains(value) ? value : OTHER;
    }
  }
}
