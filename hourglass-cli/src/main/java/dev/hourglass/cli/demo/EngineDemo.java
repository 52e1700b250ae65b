package dev.hourglass.cli.demo;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.engine.Engine;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.id.JobIds;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A scripted scenario on the engine, in simulated time: three workers pull a mixed workload (a DAG
 * pipeline, priorities, a delayed job, a cron schedule, a flaky job, a poison job), one worker
 * crashes and its jobs are reclaimed, and its late answer as a zombie is refused. Everything goes
 * through {@link Engine#apply}, exactly as it will in the server; only the clock is simulated, so
 * the demo takes a moment instead of a minute.
 */
public final class EngineDemo {
  private static final long STEP_MILLIS = 100;
  private static final long END_MILLIS = 11_500;

  /** w2 crashes at the first step after this at which it holds a job. */
  private static final long CRASH_AFTER_MILLIS = 600;

  private final PrintStream out;
  private final SplittableRandom random;
  private final Engine engine = new Engine();
  private final long start = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
  private long now = start;
  private final JobIds ids;
  private final Map<String, String> names = new HashMap<>();
  private final Map<String, Long> runningUntil = new LinkedHashMap<>();
  private final Map<String, LeaseGranted> leases = new HashMap<>();
  private final Map<String, Integer> syncFailures = new HashMap<>();
  private LeaseGranted zombieLease;
  private boolean w2Crashed;

  public EngineDemo(PrintStream out, long seed) {
    this.out = out;
    this.random = new SplittableRandom(seed);
    this.ids = new JobIds(() -> now, new java.util.Random(seed));
  }

  public int run() {
    out.println("Hourglass demo: the scheduling engine in simulated time (no sleeping).");
    out.println();
    for (String w : List.of("w1", "w2", "w3")) {
      apply(new Command.RegisterWorker(now, w, 2, List.of(), 2_000));
    }
    submitWorkload();
    while (now - start < END_MILLIS) {
      now += STEP_MILLIS;
      apply(new Command.Tick(now));
      finishDueWork();
      for (String w : List.of("w1", "w2", "w3")) {
        if (!(w.equals("w2") && w2Crashed)) {
          pull(w);
        }
      }
      if (!w2Crashed && now - start >= CRASH_AFTER_MILLIS && heldBy("w2") != null) {
        w2Crashed = true;
        zombieLease = heldBy("w2");
        say(
            "w2 crashes (SIGKILL) while running "
                + name(zombieLease.jobId())
                + "; it stops heartbeating");
      }
      heartbeatLiveWorkers();
    }
    zombieReturns();
    summary();
    return 0;
  }

  private void submitWorkload() {
    String extract = id("extract");
    String transform = id("transform");
    String load = id("load");
    String report = id("report");
    apply(
        new Command.SubmitJobs(
            now,
            List.of(
                JobSpec.of(report, "report", "{}").withDependsOn(List.of(load)),
                JobSpec.of(load, "load", "{}").withDependsOn(List.of(transform)),
                JobSpec.of(transform, "transform", "{}").withDependsOn(List.of(extract)),
                JobSpec.of(extract, "extract", "{\"source\": \"s3://bucket/day\"}"))));
    say(
        "submitted a DAG: extract -> transform -> load -> report (one batch, sorted topologically)");
    for (int i = 0; i < 3; i++) {
      apply(new Command.SubmitJob(now, JobSpec.of(id("newsletter"), "send-newsletter", "{}")));
    }
    apply(
        new Command.SubmitJob(
            now,
            JobSpec.of(id("charge-card"), "charge-card", "{\"amount\": 4200}")
                .withPriority(10)
                .withIdempotencyKey("invoice-2026-001")));
    Outcome again =
        engine.apply(
            new Command.SubmitJob(
                now,
                JobSpec.of(ids.next(), "charge-card", "{\"amount\": 4200}")
                    .withPriority(10)
                    .withIdempotencyKey("invoice-2026-001")));
    say(
        "submitted 3 newsletters (priority 0) and charge-card (priority 10); a resubmit with the"
            + " same idempotency key "
            + (again instanceof Applied a && a.events().get(0) instanceof Event.JobDeduplicated
                ? "returned the same job"
                : "?"));
    apply(
        new Command.SubmitJob(
            now, JobSpec.of(id("reminder"), "send-reminder", "{}").withRunAt(now + 3_000)));
    apply(
        new Command.SubmitJob(
            now,
            JobSpec.of(id("sync-crm"), "sync-crm", "{}")
                .withMaxAttempts(5)
                .withBackoff(new Backoff(150, 5_000, false))));
    apply(
        new Command.SubmitJob(
            now,
            JobSpec.of(id("import"), "import-bad-file", "{}")
                .withMaxAttempts(3)
                .withBackoff(new Backoff(100, 5_000, false))));
    apply(
        new Command.PutSchedule(
            now,
            ScheduleSpec.of(
                "cleanup",
                "*/4 * * * * ?",
                "UTC",
                JobSpec.of("template", "cleanup", "{\"days\": 30}"))));
    say(
        "submitted a reminder due in 3 s, a flaky sync-crm (fails twice), a poison import"
            + " (always fails, 3 attempts), and a cron schedule \"*/4 * * * * ?\" (every 4 s)");
  }

  private String id(String name) {
    String id = ids.next();
    names.put(id, name);
    return id;
  }

  private void pull(String worker) {
    Outcome o = apply(new Command.LeaseJobs(now, worker, 2, List.of(), 1_000));
    if (!(o instanceof Applied applied)) {
      return;
    }
    for (Event e : applied.events()) {
      if (e instanceof LeaseGranted g) {
        leases.put(g.jobId(), g);
        runningUntil.put(g.jobId(), now + 200 + random.nextLong(400));
      }
    }
  }

  private void finishDueWork() {
    for (var it = runningUntil.entrySet().iterator(); it.hasNext(); ) {
      var entry = it.next();
      LeaseGranted g = leases.get(entry.getKey());
      if (entry.getValue() > now || g.workerId().equals("w2") && w2Crashed) {
        continue;
      }
      it.remove();
      report(g);
    }
  }

  private void report(LeaseGranted g) {
    String task = g.task();
    boolean fails =
        task.equals("import-bad-file")
            || task.equals("sync-crm") && syncFailures.merge(g.jobId(), 1, Integer::sum) <= 2;
    if (fails) {
      apply(
          new Command.FailJob(
              now,
              g.jobId(),
              g.workerId(),
              g.generation(),
              task.equals("sync-crm") ? "CRM timed out" : "file is not valid CSV",
              true));
    } else {
      apply(new Command.CompleteJob(now, g.jobId(), g.workerId(), g.generation(), "ok"));
    }
  }

  private void heartbeatLiveWorkers() {
    for (String w : List.of("w1", "w3")) {
      apply(new Command.WorkerHeartbeat(now, w));
    }
    for (String jobId : runningUntil.keySet()) {
      LeaseGranted g = leases.get(jobId);
      if (!g.workerId().equals("w2") || !w2Crashed) {
        engine.apply(new Command.HeartbeatJob(now, jobId, g.workerId(), g.generation(), 1_000));
      }
    }
  }

  private void zombieReturns() {
    if (zombieLease == null) {
      return;
    }
    Outcome late =
        engine.apply(
            new Command.CompleteJob(
                now, zombieLease.jobId(), "w2", zombieLease.generation(), "charged twice?"));
    say(
        "w2 comes back as a zombie and reports "
            + name(zombieLease.jobId())
            + " (generation "
            + zombieLease.generation()
            + ") as done: "
            + (late instanceof Rejected r ? "REFUSED, " + r.code() : "accepted (this is a bug)"));
  }

  private Outcome apply(Command c) {
    Outcome o = engine.apply(c);
    if (o instanceof Applied applied) {
      for (Event e : applied.events()) {
        narrate(e);
      }
    }
    return o;
  }

  private void narrate(Event e) {
    switch (e) {
      case LeaseGranted g ->
          say(g.workerId() + " leased " + name(g.jobId()) + " (generation " + g.generation() + ")");
      case Event.JobTransitioned t when t.to() == JobState.SUCCEEDED ->
          say(name(t.jobId()) + " succeeded");
      case Event.JobTransitioned t when t.to() == JobState.FAILED ->
          say(name(t.jobId()) + " failed: " + t.reason() + "; retry after backoff");
      case Event.JobTransitioned t when t.to() == JobState.DEAD ->
          say(name(t.jobId()) + " is DEAD (dead-letter queue): " + t.reason());
      case Event.JobTransitioned t when t.from() == JobState.SCHEDULED ->
          say(name(t.jobId()) + " is due and READY");
      case Event.JobTransitioned t
          when t.to() == JobState.READY && "parents succeeded".equals(t.reason()) ->
          say(name(t.jobId()) + " is READY: its parents succeeded");
      case Event.WorkerDied d ->
          say(
              "w2 missed its heartbeats: declared dead, "
                  + d.leasesReclaimed()
                  + " lease(s) reclaimed");
      case Event.LeaseLost l -> say(name(l.jobId()) + " lease lost: " + l.cause());
      case Event.ScheduleFired f -> {
        names.put(f.jobId(), "cleanup@" + (f.fireAtMillis() - start) / 1000 + "s");
        say("cron schedule cleanup fired");
      }
      default -> {}
    }
  }

  private String name(String jobId) {
    String n = names.get(jobId);
    // UUIDv7 ids start with the time; their random tail tells jobs of one moment apart.
    return n != null && n.startsWith("cleanup@")
        ? n
        : (n == null ? "job" : n) + "[" + jobId.substring(jobId.length() - 6) + "]";
  }

  private LeaseGranted heldBy(String worker) {
    return runningUntil.keySet().stream()
        .map(leases::get)
        .filter(g -> g.workerId().equals(worker))
        .findFirst()
        .orElse(null);
  }

  private void say(String line) {
    out.printf("t=+%5.1fs  %s%n", (now - start) / 1000.0, line);
  }

  private void summary() {
    out.println();
    out.println("Final state of every job:");
    out.printf("  %-22s %-16s %-10s %-8s %s%n", "job", "task", "state", "attempts", "workers");
    List<JobView> all = new ArrayList<>(engine.queries().jobs(JobFilter.ALL, null, 100).items());
    java.util.Collections.reverse(all);
    for (JobView j : all) {
      out.printf(
          "  %-22s %-16s %-10s %-8d %s%n",
          name(j.jobId()),
          j.task(),
          j.state(),
          j.attempts().size(),
          String.join(
              ",", j.attempts().stream().map(a -> a.workerId() + "/g" + a.generation()).toList()));
    }
    out.println();
    out.println("Counts by state: " + engine.queries().countsByState());
    out.println(
        "Dead-letter queue: "
            + engine.queries().deadLetters(10).stream().map(j -> name(j.jobId())).toList());
  }
}
