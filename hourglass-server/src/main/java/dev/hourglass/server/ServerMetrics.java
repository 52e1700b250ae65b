package dev.hourglass.server;

import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.JobTransitioned;
import dev.hourglass.core.event.Event.LeaseLost;
import dev.hourglass.core.event.Event.WorkerDied;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.QueueView;
import dev.hourglass.core.view.WorkerView;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * The server's Prometheus metrics. Counters and histograms are fed from the apply loop's events;
 * gauges (queue depth, jobs by state, workers alive) are refreshed from an engine snapshot taken
 * on the loop thread at each scrape, so they are exact at scrape time and cost nothing between.
 *
 * <p>Thread-safety: {@link #events} and {@link #batchApplied} are called only on the apply loop
 * thread (the two timing maps are confined to it); {@link #refresh} and {@link #scrape} from
 * request threads; Micrometer meters are thread-safe.
 */
final class ServerMetrics {
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final int timedJobsMax;
  private final Counter submitted;
  private final Counter succeeded;
  private final Counter failed;
  private final Counter retries;
  private final Counter deadLetters;
  private final Counter cancelled;
  private final Counter leaseExpirations;
  private final Counter workerDeaths;
  private final Counter overloaded;
  private final Timer waitTime;
  private final Timer runTime;
  private final Timer logBatch;
  private final DistributionSummary batchCommands;
  private final MultiGauge queueReady;
  private final MultiGauge jobsByState;
  private final AtomicLong workersAlive = new AtomicLong();
  /** Loop thread only: when a job became READY / started RUNNING, bounded by timedJobsMax. */
  private final HashMap<String, Long> readySince = new HashMap<>();
  private final HashMap<String, Long> runningSince = new HashMap<>();

  ServerMetrics(int timedJobsMax, IntSupplier parkedLeases) {
    this.timedJobsMax = timedJobsMax;
    submitted = counter("hourglass.jobs.submitted", "jobs created (submits and cron firings)");
    succeeded = counter("hourglass.jobs.succeeded", "attempts completed successfully");
    failed = counter("hourglass.jobs.failed", "attempts that failed (reported, expired, died)");
    retries = counter("hourglass.jobs.retries", "failed jobs made READY again for a retry");
    deadLetters = counter("hourglass.jobs.dead", "jobs moved to the dead-letter queue");
    cancelled = counter("hourglass.jobs.cancelled", "jobs cancelled");
    leaseExpirations = counter("hourglass.leases.lost",
        "leases that ended without a report (expired, timed out, worker died)");
    workerDeaths = counter("hourglass.workers.died", "workers declared dead");
    overloaded = counter("hourglass.requests.overloaded", "requests refused with 503: full");
    waitTime = histogram("hourglass.job.wait", "time from READY to leased");
    runTime = histogram("hourglass.job.run", "time from leased to the attempt's end");
    logBatch = histogram("hourglass.log.batch",
        "one group commit: log append, fsync and apply of a batch of commands");
    batchCommands = DistributionSummary.builder("hourglass.log.batch.commands")
        .description("commands per group commit").publishPercentileHistogram()
        .register(registry);
    queueReady = MultiGauge.builder("hourglass.queue.ready")
        .description("READY jobs by queue and priority").register(registry);
    jobsByState = MultiGauge.builder("hourglass.jobs")
        .description("jobs held by queue and state").register(registry);
    Gauge.builder("hourglass.workers.alive", workersAlive, AtomicLong::get)
        .description("registered workers not declared dead").register(registry);
    Gauge.builder("hourglass.longpolls.parked", parkedLeases, IntSupplier::getAsInt)
        .description("lease requests waiting for a job").register(registry);
  }

  private Counter counter(String name, String description) {
    return Counter.builder(name).description(description).register(registry);
  }

  private Timer histogram(String name, String description) {
    return Timer.builder(name).description(description).publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofHours(1))
        .register(registry);
  }

  void overloaded() {
    overloaded.increment();
  }

  /** Loop thread: one group commit of {@code commands} took {@code nanos}. */
  void batchApplied(int commands, long nanos) {
    logBatch.record(nanos, TimeUnit.NANOSECONDS);
    batchCommands.record(commands);
  }

  /** Loop thread: what one applied command changed, at engine time {@code nowMillis}. */
  void events(List<Event> events, long nowMillis) {
    for (Event e : events) {
      switch (e) {
        case JobTransitioned t -> transitioned(t, nowMillis);
        case LeaseLost l -> leaseExpirations.increment();
        case WorkerDied w -> workerDeaths.increment();
        default -> {}
      }
    }
  }

  private void transitioned(JobTransitioned t, long now) {
    if (t.from() == null) {
      submitted.increment();
    } else if (t.from() == JobState.READY) {
      Long since = readySince.remove(t.jobId());
      if (since != null && t.to() == JobState.RUNNING) {
        waitTime.record(Math.max(0, now - since), TimeUnit.MILLISECONDS);
      }
    } else if (t.from() == JobState.RUNNING) {
      Long since = runningSince.remove(t.jobId());
      if (since != null) {
        runTime.record(Math.max(0, now - since), TimeUnit.MILLISECONDS);
      }
      if (t.to() == JobState.FAILED || t.to() == JobState.DEAD) {
        failed.increment();
      }
    } else if (t.from() == JobState.FAILED && t.to() == JobState.READY) {
      retries.increment();
    }
    switch (t.to()) {
      case READY -> remember(readySince, t.jobId(), now);
      case RUNNING -> remember(runningSince, t.jobId(), now);
      case SUCCEEDED -> succeeded.increment();
      case DEAD -> deadLetters.increment();
      case CANCELLED -> cancelled.increment();
      case PENDING, SCHEDULED, FAILED -> {}
    }
  }

  private void remember(HashMap<String, Long> map, String jobId, long now) {
    if (map.size() < timedJobsMax) {
      map.put(jobId, now);
    }
  }

  /** What a scrape needs from the engine, copied on the loop thread. */
  record Snapshot(List<QueueView> queues, List<WorkerView> workers) {}

  /** Sets the gauges from a snapshot. */
  void refresh(Snapshot s) {
    List<MultiGauge.Row<?>> ready = new ArrayList<>();
    List<MultiGauge.Row<?>> states = new ArrayList<>();
    for (QueueView q : s.queues()) {
      for (Map.Entry<Integer, Long> e : q.readyByPriority().entrySet()) {
        ready.add(MultiGauge.Row.of(
            Tags.of("queue", q.name(), "priority", Integer.toString(e.getKey())), e.getValue()));
      }
      for (Map.Entry<JobState, Long> e : q.countsByState().entrySet()) {
        states.add(MultiGauge.Row.of(Tags.of("queue", q.name(), "state", e.getKey().name()),
            e.getValue()));
      }
    }
    queueReady.register(ready, true);
    jobsByState.register(states, true);
    workersAlive.set(s.workers().stream().filter(WorkerView::alive).count());
  }

  /**
   * Bounds the task series of {@code hourglass_jobs_unrunnable}: the tasks with the most such jobs
   * get a series each and the rest are summed under {@code task="_other"}, so a stream of
   * one-off task names cannot grow the scrape without limit.
   */
  static final int UNRUNNABLE_TASK_SERIES_MAX = 20;

  private final MultiGauge unrunnable = MultiGauge.builder("hourglass.jobs.unrunnable")
      .description("READY jobs that no live worker can run (its queue or task type), by task")
      .register(registry);

  /** Sets {@code hourglass_jobs_unrunnable} from the engine's list (see EngineQueries). */
  void refreshUnrunnable(List<dev.hourglass.core.view.UnrunnableView> lanes) {
    Map<String, Long> byTask = new HashMap<>();
    for (var u : lanes) {
      byTask.merge(u.task(), u.ready(), Long::sum);
    }
    List<Map.Entry<String, Long>> sorted = new ArrayList<>(byTask.entrySet());
    sorted.sort(Map.Entry.<String, Long>comparingByValue().reversed()
        .thenComparing(Map.Entry.comparingByKey()));
    List<MultiGauge.Row<?>> rows = new ArrayList<>();
    long other = 0;
    for (int i = 0; i < sorted.size(); i++) {
      if (i < UNRUNNABLE_TASK_SERIES_MAX) {
        rows.add(MultiGauge.Row.of(Tags.of("task", sorted.get(i).getKey()),
            sorted.get(i).getValue()));
      } else {
        other += sorted.get(i).getValue();
      }
    }
    if (other > 0) {
      rows.add(MultiGauge.Row.of(Tags.of("task", "_other"), other));
    }
    unrunnable.register(rows, true);
  }

  String scrape() {
    return registry.scrape();
  }
}
