package dev.hourglass.cli.demo;

import dev.hourglass.cli.commands.Table;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobState;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The demo's closing summary: each promised outcome checked against the server's record of the jobs
 * (states and attempts), printed as {@code ok}/{@code FAILED} lines. Stateless after construction.
 */
final class DemoSummary {
  private final PrintStream out;
  private final List<Job> jobs;
  private final String victim;
  private final List<String> victimJobs;
  private final long cronFired;
  private final double seconds;
  private final List<String> failures = new ArrayList<>();

  DemoSummary(
      PrintStream out,
      List<Job> jobs,
      String victim,
      List<String> victimJobs,
      long cronFired,
      double seconds) {
    this.out = out;
    this.jobs = jobs;
    this.victim = victim;
    this.victimJobs = victimJobs;
    this.cronFired = cronFired;
    this.seconds = seconds;
  }

  /** Prints the job table and the checks; returns 0 when all hold, else 1. */
  int print(boolean finished) {
    out.println();
    var t = new Table("JOB", "TASK", "PRI", "STATE", "ATTEMPTS (worker:outcome)");
    for (Job j : jobs) {
      t.row(
          j.jobId(),
          j.task(),
          j.priority(),
          j.state(),
          j.attempts().stream()
              .map(a -> a.workerId() + ":" + a.outcome())
              .collect(Collectors.joining(" -> ")));
    }
    t.print(out);
    out.printf("%nSummary after %.1f s%n", seconds);
    check(finished && jobs.stream().allMatch(j -> j.state().isFinished()), counts());
    checkDag();
    checkPriorities();
    checkDelayed();
    check(
        cronFired >= LiveDemo.CRON_FIRINGS
            && jobs.stream()
                .filter(j -> j.scheduleId() != null)
                .allMatch(j -> j.state() == JobState.SUCCEEDED),
        "cron: schedule \""
            + LiveDemo.SCHEDULE
            + "\" fired "
            + cronFired
            + " times, each firing's job SUCCEEDED");
    checkFlaky();
    checkDoomed();
    checkKill();
    out.println(
        failures.isEmpty()
            ? "demo OK: every outcome above was observed"
            : "demo FAILED: " + failures.size() + " check(s) did not hold: " + failures);
    return failures.isEmpty() ? 0 : 1;
  }

  private String counts() {
    var c = new EnumMap<JobState, Long>(JobState.class);
    jobs.forEach(j -> c.merge(j.state(), 1L, Long::sum));
    return "all "
        + jobs.size()
        + " jobs terminal: "
        + c.entrySet().stream()
            .map(e -> e.getValue() + " " + e.getKey())
            .collect(Collectors.joining(", "));
  }

  private void check(boolean ok, String line) {
    out.println((ok ? "  ok      " : "  FAILED  ") + line);
    if (!ok) {
      failures.add(line);
    }
  }

  private Optional<Job> job(String id) {
    return jobs.stream().filter(j -> j.jobId().equals(id)).findFirst();
  }

  private Instant started(String id) {
    return job(id).map(j -> j.successfulAttempt()).map(Job.Attempt::startedAt).orElse(null);
  }

  private Instant ended(String id) {
    return job(id).map(j -> j.successfulAttempt()).map(Job.Attempt::endedAt).orElse(null);
  }

  private boolean before(String parent, String child) {
    Instant e = ended(parent);
    Instant s = started(child);
    return e != null && s != null && !s.isBefore(e);
  }

  private void checkDag() {
    boolean ok =
        before("extract", "transform-a")
            && before("extract", "transform-b")
            && before("transform-a", "load")
            && before("transform-b", "load")
            && before("load", "report");
    check(
        ok,
        "DAG: extract -> transform-a, transform-b -> load -> report ran in dependency" + " order");
  }

  private void checkPriorities() {
    Instant lastUrgent = max(started("urgent-1"), started("urgent-2"));
    Instant firstThumb =
        jobs.stream()
            .filter(j -> j.jobId().startsWith("thumb-"))
            .map(j -> started(j.jobId()))
            .filter(x -> x != null)
            .min(Instant::compareTo)
            .orElse(null);
    check(
        lastUrgent != null && firstThumb != null && !lastUrgent.isAfter(firstThumb),
        "priorities: both urgent jobs (10) started before any thumbnail (0)");
  }

  private static Instant max(Instant a, Instant b) {
    return a == null || b == null ? null : a.isAfter(b) ? a : b;
  }

  /** See checkDelayed: how much later than the API's clock a leader may stamp created_at. */
  private static final long CREATED_AT_SLACK_MILLIS = 250;

  private void checkDelayed() {
    List<String> parts = new ArrayList<>();
    boolean ok = true;
    for (var e : Map.of("reminder-3s", 3_000L, "reminder-6s", 6_000L).entrySet()) {
      Job j = job(e.getKey()).orElse(null);
      Instant s = started(e.getKey());
      long after = j == null || s == null ? -1 : Duration.between(j.createdAt(), s).toMillis();
      // Not before its due time, on the server's clock, within the slack below. Why the slack: the
      // delay runs from when the API read the request, but a replica's leader stamps created_at
      // when it proposes the command, some milliseconds later (more on a loaded machine), and a
      // finished job no longer reports its due time.
      ok &=
          j != null
              && s != null
              && (j.dueAt() != null
                  ? !s.isBefore(j.dueAt())
                  : after >= e.getValue() - CREATED_AT_SLACK_MILLIS);
      parts.add(String.format("%s ran %.1f s after submit", e.getKey(), after / 1000.0));
    }
    check(ok, "delayed: " + String.join(", ", parts.stream().sorted().toList()));
  }

  private void checkFlaky() {
    Job f = job("flaky").orElse(null);
    boolean ok =
        f != null
            && f.state() == JobState.SUCCEEDED
            && f.attempts().size() == 3
            && f.failures() == 2;
    check(
        ok,
        "flaky: "
            + (f == null
                ? "missing"
                : f.state()
                    + " on attempt "
                    + f.attempts().size()
                    + " ("
                    + f.attempts().stream()
                        .map(Job.Attempt::outcome)
                        .collect(Collectors.joining(", "))
                    + ")"));
  }

  private void checkDoomed() {
    List<Job> dead = jobs.stream().filter(j -> j.state() == JobState.DEAD).toList();
    boolean ok = dead.size() == 1 && dead.get(0).jobId().equals("doomed");
    check(
        ok,
        "dead-letter queue: "
            + dead.size()
            + " DEAD job(s): "
            + dead.stream()
                .map(
                    j ->
                        j.jobId()
                            + " after "
                            + j.attempts().size()
                            + " attempts ("
                            + j.reason()
                            + ")")
                .collect(Collectors.joining("; ")));
  }

  private void checkKill() {
    if (victim == null || victimJobs.isEmpty()) {
      check(false, "crash: no worker was killed (no long job was seen running)");
      return;
    }
    for (String id : victimJobs) {
      Job j = job(id).orElse(null);
      if (j == null) {
        check(false, "crash: job " + id + " is missing");
        continue;
      }
      Job.Attempt first = j.attempts().get(0);
      Job.Attempt win = j.successfulAttempt();
      long wins = j.attempts().stream().filter(a -> "SUCCEEDED".equals(a.outcome())).count();
      boolean ok =
          first.workerId().equals(victim)
              && List.of("EXPIRED", "WORKER_DIED").contains(first.outcome())
              && win != null
              && !win.workerId().equals(victim)
              && wins == 1;
      check(
          ok,
          String.format(
              "crash: %s was SIGKILLed while running %s; its attempt ended %s"
                  + " and %s re-ran it in generation %d (%d successful run)",
              victim,
              id,
              first.outcome(),
              win == null ? "nobody" : win.workerId(),
              win == null ? 0 : win.generation(),
              wins));
    }
  }
}
