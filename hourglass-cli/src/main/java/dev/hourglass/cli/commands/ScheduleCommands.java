package dev.hourglass.cli.commands;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.Schedule;
import java.io.PrintStream;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hourglass schedules}: list (the default), create, pause, resume and delete cron schedules.
 * Pause, resume and delete need an admin token when tokens are on.
 */
@Command(
    name = "schedules",
    mixinStandardHelpOptions = true,
    description = "Cron schedules: list (default), create, pause, resume, delete.",
    subcommands = {
      ScheduleCommands.ListSchedules.class,
      ScheduleCommands.Create.class,
      ScheduleCommands.Pause.class,
      ScheduleCommands.Resume.class,
      ScheduleCommands.Delete.class
    })
public final class ScheduleCommands extends ClientCommands.Base {
  @Override
  int run(HourglassClient client, PrintStream out) {
    return list(client, out, conn);
  }

  static int list(HourglassClient client, PrintStream out, Connection conn) {
    List<Schedule> all = client.schedules();
    if (conn.json()) {
      Output.json(out, all);
      return 0;
    }
    var t =
        new Table(
            "SCHEDULE",
            "CRON",
            "TIME ZONE",
            "TASK",
            "QUEUE",
            "STATE",
            "NEXT FIRE",
            "LAST FIRE",
            "FIRED",
            "SKIPPED",
            "LIVE JOBS");
    for (Schedule s : all) {
      t.row(
          s.scheduleId(),
          s.cron(),
          s.timeZone(),
          s.task(),
          s.queue(),
          s.paused() ? "PAUSED" : "active",
          Output.dateTime(s.nextFireAt()),
          Output.dateTime(s.lastFireAt()),
          s.fired(),
          s.skipped(),
          s.liveJobs());
    }
    t.print(out);
    return 0;
  }

  static void print(Schedule s, String verb, Connection conn, PrintStream out) {
    if (conn.json()) {
      Output.json(out, s);
      return;
    }
    out.printf(
        "schedule %s %s: cron \"%s\" (%s), task %s, %s, next firing %s%n",
        s.scheduleId(),
        verb,
        s.cron(),
        s.timeZone(),
        s.task(),
        s.paused() ? "paused" : "active",
        Output.dateTime(s.nextFireAt()));
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List schedules.")
  static final class ListSchedules extends ClientCommands.Base {
    @Override
    int run(HourglassClient client, PrintStream out) {
      return list(client, out, conn);
    }
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Create a schedule (or replace the one with the same --schedule-id); each"
            + " firing creates the job <schedule-id>@<fire time>."
      })
  static final class Create extends ClientCommands.Base {
    @Option(
        names = "--cron",
        required = true,
        description = "Unix 5 fields or Quartz 6-7 fields, e.g. \"*/5 * * * *\".")
    String cron;

    @Option(names = "--task", required = true, description = "Task type of the jobs it creates.")
    String task;

    @Option(names = "--time-zone", description = "IANA zone the cron is read in (default UTC).")
    String timeZone;

    @Option(names = "--schedule-id", description = "Its id (default generated).")
    String scheduleId;

    /** The jobs it creates: payload, queue, priority, retries. */
    @Mixin JobOptions job;

    @Option(
        names = "--overlap",
        paramLabel = "POLICY",
        description = "When the previous job is still live: allow (default), skip, queue_one.")
    String overlap;

    @Option(
        names = "--catch-up",
        paramLabel = "POLICY",
        description = "Missed firings: once (default), each_within_window, skip.")
    String catchUp;

    @Option(
        names = "--catch-up-window",
        paramLabel = "DURATION",
        description = "How far back each_within_window reaches, e.g. 1h.")
    String catchUpWindow;

    @Override
    int run(HourglassClient client, PrintStream out) {
      print(client.createSchedule(request()), "created", conn, out);
      return 0;
    }

    JobRequest request() {
      var b = JobRequest.builder(task).cron(cron);
      job.applyTo(b);
      if (timeZone != null) {
        b.timeZone(timeZone);
      }
      if (scheduleId != null) {
        b.scheduleId(scheduleId);
      }
      if (overlap != null) {
        b.overlap(Schedule.Overlap.parse(overlap));
      }
      if (catchUp != null) {
        b.catchUp(Schedule.CatchUp.parse(catchUp));
      }
      if (catchUpWindow != null) {
        b.catchUpWindow(ClientCommands.duration(catchUpWindow, "--catch-up-window"));
      }
      return b.build();
    }
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = "Pause schedules: firings due while paused are skipped and counted (admin).")
  static final class Pause extends ClientCommands.Base {
    @Parameters(paramLabel = "SCHEDULE", arity = "1..*")
    List<String> ids;

    @Override
    int run(HourglassClient client, PrintStream out) {
      ids.forEach(id -> print(client.pauseSchedule(id), "paused", conn, out));
      return 0;
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = "Resume paused schedules (admin).")
  static final class Resume extends ClientCommands.Base {
    @Parameters(paramLabel = "SCHEDULE", arity = "1..*")
    List<String> ids;

    @Override
    int run(HourglassClient client, PrintStream out) {
      ids.forEach(id -> print(client.resumeSchedule(id), "resumed", conn, out));
      return 0;
    }
  }

  @Command(
      name = "delete",
      mixinStandardHelpOptions = true,
      description = "Delete schedules; jobs they already created are left alone (admin).")
  static final class Delete extends ClientCommands.Base {
    @Parameters(paramLabel = "SCHEDULE", arity = "1..*")
    List<String> ids;

    @Override
    int run(HourglassClient client, PrintStream out) {
      for (String id : ids) {
        client.deleteSchedule(id);
        if (conn.json()) {
          Output.json(out, java.util.Map.of("schedule_id", id, "deleted", true));
        } else {
          out.println("schedule " + id + " deleted");
        }
      }
      return 0;
    }
  }
}
