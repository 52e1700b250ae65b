package dev.hourglass.cli.commands;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.Job;
import dev.hourglass.client.JobPage;
import dev.hourglass.client.JobQuery;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.JobState;
import dev.hourglass.client.WorkerInfo;
import dev.hourglass.client.WorkerPage;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The commands that talk to a running server: submit, status, jobs, workers, dlq, cancel. */
public final class ClientCommands {
  private ClientCommands() {}

  /** Base: a connection and the standard output. */
  abstract static class Base implements Callable<Integer> {
    @Mixin Connection conn;

    @Override
    public Integer call() {
      try (HourglassClient client = conn.client()) {
        return run(client, System.out);
      }
    }

    abstract int run(HourglassClient client, PrintStream out);
  }

  @Command(
      name = "submit",
      mixinStandardHelpOptions = true,
      description = "Submit a job (or with --cron, a recurring schedule).")
  public static final class Submit extends Base {
    @Parameters(index = "0", paramLabel = "TASK", description = "Task type, e.g. sleep, echo.")
    String task;

    @Mixin JobOptions job;

    @Option(
        names = "--deadline",
        paramLabel = "INSTANT",
        description = "RFC 3339, e.g. 2030-01-01T00:00:00Z; earlier first among equal priority.")
    Instant deadline;

    @Option(
        names = "--delay",
        paramLabel = "DURATION",
        description = "Run no earlier than this from now: 30s, 5m, 250ms, PT1H.")
    String delay;

    @Option(names = "--run-at", paramLabel = "INSTANT", description = "Run no earlier than this.")
    Instant runAt;

    @Option(names = "--cron", description = "Make it a schedule: \"*/5 * * * *\".")
    String cron;

    @Option(names = "--time-zone", description = "The schedule's IANA zone (default UTC).")
    String timeZone;

    @Option(names = "--schedule-id", description = "The schedule's id.")
    String scheduleId;

    @Option(
        names = "--depends-on",
        split = ",",
        paramLabel = "JOB",
        description = "Jobs that must succeed first (comma-separated or repeated).")
    List<String> dependsOn;

    @Option(
        names = "--backoff-max",
        paramLabel = "DURATION",
        description = "Longest retry backoff (default 1h).")
    String backoffMax;

    @Option(
        names = "--backoff-jitter",
        negatable = true,
        fallbackValue = "true",
        description =
            "Draw each retry delay from 0 to the exponential delay (default: on);"
                + " --no-backoff-jitter waits exactly the exponential delay.")
    Boolean backoffJitter;

    @Option(names = "--idempotency-key", paramLabel = "KEY")
    String idempotencyKey;

    @Option(names = "--job-id", paramLabel = "ID", description = "Choose the job's id.")
    String jobId;

    @Option(
        names = "--fairness-key",
        paramLabel = "KEY",
        description =
            "Who the job is for (a tenant): a fair queue serves its keys in turn"
                + " (hourglass queues policy).")
    String fairnessKey;

    @Override
    int run(HourglassClient client, PrintStream out) {
      JobRequest req = request();
      if (req.isSchedule()) {
        var s = client.createSchedule(req);
        if (conn.json()) {
          Output.json(out, s);
        } else {
          out.printf(
              "schedule %s created: cron \"%s\" (%s), next firing %s%n",
              s.scheduleId(), s.cron(), s.timeZone(), Output.time(s.nextFireAt()));
        }
        return 0;
      }
      var s = client.submit(req);
      if (conn.json()) {
        Output.json(out, s);
      } else {
        out.printf(
            "%s %s%s%n",
            s.jobId(),
            s.state(),
            s.deduplicated()
                ? " (deduplicated: the idempotency key matched this existing job)"
                : "");
      }
      return 0;
    }

    JobRequest request() {
      var b = JobRequest.builder(task);
      job.applyTo(b);
      if (deadline != null) {
        b.deadline(deadline);
      }
      if (delay != null) {
        b.delay(duration(delay, "--delay"));
      }
      if (runAt != null) {
        b.runAt(runAt);
      }
      if (cron != null) {
        b.cron(cron);
      }
      if (timeZone != null) {
        b.timeZone(timeZone);
      }
      if (scheduleId != null) {
        b.scheduleId(scheduleId);
      }
      if (dependsOn != null) {
        b.dependsOn(dependsOn);
      }
      if (backoffMax != null) {
        b.backoffMax(duration(backoffMax, "--backoff-max"));
      }
      if (backoffJitter != null) {
        b.backoffJitter(backoffJitter);
      }
      if (idempotencyKey != null) {
        b.idempotencyKey(idempotencyKey);
      }
      if (jobId != null) {
        b.jobId(jobId);
      }
      if (fairnessKey != null) {
        b.fairnessKey(fairnessKey);
      }
      return b.build();
    }
  }

  /** Parses 250ms, 30s, 5m, 2h, or ISO-8601 (PT1H). */
  static Duration duration(String text, String option) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.startsWith("pt") || t.startsWith("p")) {
        return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
      }
      if (t.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      }
      long n = Long.parseLong(t.substring(0, t.length() - 1));
      return switch (t.charAt(t.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        case 'd' -> Duration.ofDays(n);
        default -> Duration.ofMillis(Long.parseLong(t));
      };
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          option
              + "=\""
              + text
              + "\" is not a duration; give"
              + " 250ms, 30s, 5m, 2h, 1d or ISO-8601 such as PT1H");
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = "Show one job with its attempts.")
  public static final class Status extends Base {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Override
    int run(HourglassClient client, PrintStream out) {
      Job j = client.job(jobId);
      if (conn.json()) {
        Output.json(out, j);
        return 0;
      }
      out.printf(
          "job        %s%ntask       %s (queue %s, priority %d)%nstate      %s%n"
              + "generation %d, failures %d of max %d attempts%n",
          j.jobId(),
          j.task(),
          j.queue(),
          j.priority(),
          j.state(),
          j.generation(),
          j.failures(),
          j.maxAttempts());
      out.printf(
          "created    %s%s%s%n",
          Output.time(j.createdAt()),
          j.dueAt() == null ? "" : ", due " + Output.time(j.dueAt()),
          j.finishedAt() == null ? "" : ", finished " + Output.time(j.finishedAt()));
      if (!j.dependsOn().isEmpty()) {
        out.println("depends on " + String.join(", ", j.dependsOn()));
      }
      out.println("payload    " + (j.payload() == null ? "-" : j.payload()));
      if (j.result() != null) {
        out.println("result     " + j.result());
      }
      if (j.reason() != null) {
        out.println("reason     " + j.reason());
      }
      if (!j.attempts().isEmpty()) {
        out.println();
        var t = new Table("GEN", "WORKER", "STARTED", "ENDED", "OUTCOME", "ERROR");
        for (Job.Attempt a : j.attempts()) {
          t.row(
              a.generation(),
              a.workerId(),
              Output.time(a.startedAt()),
              Output.time(a.endedAt()),
              a.outcome(),
              a.error());
        }
        t.print(out);
      }
      return 0;
    }
  }

  static void printJobs(List<Job> jobs, PrintStream out) {
    var t = new Table("JOB", "TASK", "QUEUE", "PRI", "STATE", "GEN", "FAILS", "WORKER", "CREATED");
    for (Job j : jobs) {
      String worker =
          j.attempts().isEmpty() ? null : j.attempts().get(j.attempts().size() - 1).workerId();
      t.row(
          j.jobId(),
          j.task(),
          j.queue(),
          j.priority(),
          j.state(),
          j.generation(),
          j.failures(),
          worker,
          Output.time(j.createdAt()));
    }
    t.print(out);
  }

  @Command(
      name = "jobs",
      mixinStandardHelpOptions = true,
      description = "List jobs, newest first, with filters.")
  public static final class Jobs extends Base {
    @Option(names = "--state", description = "One of: ${COMPLETION-CANDIDATES}.")
    JobState state;

    @Option(names = "--queue")
    String queue;

    @Option(names = "--task")
    String task;

    @Option(names = "--limit", defaultValue = "50", description = "Page size (1-1000).")
    int limit;

    @Option(names = "--cursor", description = "Continue from a previous page's cursor.")
    String cursor;

    @Option(names = "--all", description = "Follow cursors to the end.")
    boolean all;

    @Override
    int run(HourglassClient client, PrintStream out) {
      var q = new JobQuery(state, queue, task, limit, cursor);
      List<Job> jobs = new ArrayList<>();
      JobPage page;
      do {
        page = client.jobs(q);
        jobs.addAll(page.jobs());
        q = q.withCursor(page.nextCursor());
      } while (all && page.nextCursor() != null);
      if (conn.json()) {
        Output.json(out, new JobPage(jobs, page.nextCursor()));
        return 0;
      }
      printJobs(jobs, out);
      if (page.nextCursor() != null) {
        out.println("more: --cursor " + page.nextCursor() + " (or --all)");
      }
      return 0;
    }
  }

  @Command(
      name = "workers",
      mixinStandardHelpOptions = true,
      description = "List workers, their health and the task types they run, by id.")
  public static final class Workers extends Base {
    @Option(names = "--limit", defaultValue = "100", description = "Page size (1-1000).")
    int limit;

    @Option(names = "--cursor", description = "Continue from a previous page's cursor.")
    String cursor;

    @Option(names = "--all", description = "Follow cursors to the end.")
    boolean all;

    @Override
    int run(HourglassClient client, PrintStream out) {
      List<WorkerInfo> ws = new ArrayList<>();
      WorkerPage page;
      String next = cursor;
      do {
        page = client.workers(next, limit);
        ws.addAll(page.workers());
        next = page.nextCursor();
      } while (all && next != null);
      if (conn.json()) {
        Output.json(out, new WorkerPage(ws, page.nextCursor()));
        return 0;
      }
      var t = new Table("WORKER", "ALIVE", "IN FLIGHT", "CAPACITY", "QUEUES", "LAST SEEN", "TASKS");
      for (WorkerInfo w : ws) {
        t.row(
            w.workerId(),
            w.alive() ? "yes" : "DEAD",
            w.inFlight(),
            w.capacity(),
            w.queues().isEmpty() ? "(all)" : String.join(",", w.queues()),
            Output.time(w.lastSeenAt()),
            w.tasks().isEmpty() ? "(any)" : String.join(",", w.tasks()));
      }
      t.print(out);
      if (page.nextCursor() != null) {
        out.println("more: --cursor " + page.nextCursor() + " (or --all)");
      }
      return 0;
    }
  }

  @Command(
      name = "cancel",
      mixinStandardHelpOptions = true,
      description = "Cancel a job and every job waiting on it.")
  public static final class Cancel extends Base {
    @Parameters(paramLabel = "JOB")
    String jobId;

    @Option(names = "--reason")
    String reason;

    @Override
    int run(HourglassClient client, PrintStream out) {
      JobState s = client.cancel(jobId, reason);
      if (conn.json()) {
        Output.json(out, java.util.Map.of("job_id", jobId, "state", s));
      } else {
        out.println(jobId + " " + s);
      }
      return 0;
    }
  }

  @Command(
      name = "dlq",
      mixinStandardHelpOptions = true,
      description = "The dead-letter queue: list (default) or retry a dead job.",
      subcommands = {Dlq.ListDead.class, Dlq.Retry.class})
  public static final class Dlq extends Base {
    @Option(names = "--limit", defaultValue = "100")
    int limit;

    @Override
    int run(HourglassClient client, PrintStream out) {
      return list(client, out, conn, limit);
    }

    static int list(HourglassClient client, PrintStream out, Connection conn, int limit) {
      java.util.List<Job> dead = client.deadLetters(limit);
      if (conn.json()) {
        Output.json(out, dead);
        return 0;
      }
      var t = new Table("JOB", "TASK", "QUEUE", "ATTEMPTS", "DIED", "REASON");
      for (Job j : dead) {
        t.row(
            j.jobId(),
            j.task(),
            j.queue(),
            j.attempts().size(),
            Output.time(j.finishedAt()),
            j.reason());
      }
      t.print(out);
      return 0;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List dead jobs.")
    static final class ListDead extends Base {
      @Option(names = "--limit", defaultValue = "100")
      int limit;

      @Override
      int run(HourglassClient client, PrintStream out) {
        return Dlq.list(client, out, conn, limit);
      }
    }

    @Command(
        name = "retry",
        mixinStandardHelpOptions = true,
        description = "Re-drive dead jobs: READY again with a fresh attempt budget (admin).")
    static final class Retry extends Base {
      @Parameters(paramLabel = "JOB", arity = "1..*")
      java.util.List<String> jobIds;

      @Override
      int run(HourglassClient client, PrintStream out) {
        for (String id : jobIds) {
          JobState s = client.redrive(id);
          out.println(
              conn.json() ? "{\"job_id\":\"" + id + "\",\"state\":\"" + s + "\"}" : id + " " + s);
        }
        return 0;
      }
    }
  }
}
