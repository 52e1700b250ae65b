package dev.hourglass.cli.commands;

import dev.hourglass.client.Fairness;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.QueueInfo;
import dev.hourglass.client.QueuePolicy;
import dev.hourglass.client.TaskLimit;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hourglass queues}: list queues with their depth (the default), pause, resume, set a
 * queue's limits (concurrency, weight, rate) and fairness policy, and a task type's limits
 * (concurrency, rate). All but the list need an admin token when tokens are on.
 */
@Command(
    name = "queues",
    mixinStandardHelpOptions = true,
    description = "Queues: list with depth (default), pause, resume, limits, policy, task-limits.",
    subcommands = {
      QueueCommands.ListQueues.class,
      QueueCommands.Pause.class,
      QueueCommands.Resume.class,
      QueueCommands.Limits.class,
      QueueCommands.Policy.class,
      QueueCommands.TaskLimits.class
    })
public final class QueueCommands extends ClientCommands.Base {
  @Override
  int run(HourglassClient client, PrintStream out) {
    return list(client, out, conn);
  }

  static int list(HourglassClient client, PrintStream out, Connection conn) {
    List<QueueInfo> all = client.queues();
    if (conn.json()) {
      Output.json(out, all);
      return 0;
    }
    Map<String, QueuePolicy> policies = new java.util.HashMap<>();
    for (QueuePolicy p : client.queuePolicies()) {
      policies.put(p.queue(), p);
    }
    var t =
        new Table(
            "QUEUE",
            "STATE",
            "DEPTH",
            "RUNNING",
            "MAX RUNNING",
            "SCHEDULED",
            "PENDING",
            "FAILED",
            "DEAD",
            "SUCCEEDED",
            "READY BY PRIORITY",
            "UNRUNNABLE",
            "POLICY");
    for (QueueInfo q : all) {
      t.row(
          q.queue(),
          q.paused() ? "PAUSED" : "active",
          count(q, "READY"),
          q.running(),
          q.maxRunning() == 0 ? "-" : q.maxRunning(),
          count(q, "SCHEDULED"),
          count(q, "PENDING"),
          count(q, "FAILED"),
          count(q, "DEAD"),
          count(q, "SUCCEEDED"),
          byPriority(q.readyByPriority()),
          q.unrunnable().values().stream().mapToLong(Long::longValue).sum(),
          policy(policies.get(q.queue())));
    }
    t.print(out);
    for (QueueInfo q : all) {
      q.unrunnable()
          .forEach(
              (task, n) ->
                  out.printf(
                      "queue %s: %d READY %s job(s) no live"
                          + " worker can run: start a worker with a handler for it%n",
                      q.queue(), n, task));
    }
    return 0;
  }

  /** "weight=3 rate=10/s burst=20 fair(4 keys; gold x4)", or "-" for the defaults. */
  static String policy(QueuePolicy p) {
    if (p == null || p.isDefault()) {
      return "-";
    }
    List<String> parts = new java.util.ArrayList<>();
    if (p.weight() != 1) {
      parts.add("weight=" + p.weight());
    }
    if (p.ratePerSecond() != null) {
      parts.add(
          "rate="
              + java.math.BigDecimal.valueOf(p.ratePerSecond()).stripTrailingZeros().toPlainString()
              + "/s burst="
              + p.burst());
    }
    if ("round_robin".equals(p.fairness())) {
      String weights =
          p.keyWeights().entrySet().stream()
              .map(e -> e.getKey() + " x" + e.getValue())
              .collect(Collectors.joining(", "));
      parts.add(
          "fair(" + p.activeKeys() + " keys" + (weights.isEmpty() ? "" : "; " + weights) + ")");
    }
    return String.join(" ", parts);
  }

  private static long count(QueueInfo q, String state) {
    return q.counts().getOrDefault(state, 0L);
  }

  /** "5:10 0:3": priority, then how many are READY at it, highest first as the server sends. */
  private static String byPriority(Map<String, Long> m) {
    return m.isEmpty()
        ? "-"
        : m.entrySet().stream()
            .map(e -> e.getKey() + ":" + e.getValue())
            .collect(Collectors.joining(" "));
  }

  static void print(QueueInfo q, String verb, Connection conn, PrintStream out) {
    if (conn.json()) {
      Output.json(out, q);
      return;
    }
    out.printf(
        "queue %s %s: %s, max running %s, depth %d, running %d%n",
        q.queue(),
        verb,
        q.paused() ? "paused" : "active",
        q.maxRunning() == 0 ? "unlimited" : q.maxRunning(),
        count(q, "READY"),
        q.running());
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "List queues with their depth (READY jobs) and counts by state.")
  static final class ListQueues extends ClientCommands.Base {
    @Override
    int run(HourglassClient client, PrintStream out) {
      return list(client, out, conn);
    }
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = "Pause queues: they accept submits but lease nothing (admin).")
  static final class Pause extends ClientCommands.Base {
    @Parameters(paramLabel = "QUEUE", arity = "1..*")
    List<String> queues;

    @Override
    int run(HourglassClient client, PrintStream out) {
      queues.forEach(q -> print(client.pauseQueue(q), "paused", conn, out));
      return 0;
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = "Resume paused queues (admin).")
  static final class Resume extends ClientCommands.Base {
    @Parameters(paramLabel = "QUEUE", arity = "1..*")
    List<String> queues;

    @Override
    int run(HourglassClient client, PrintStream out) {
      queues.forEach(q -> print(client.resumeQueue(q), "resumed", conn, out));
      return 0;
    }
  }

  @Command(
      name = "limits",
      mixinStandardHelpOptions = true,
      description = {
        "Set a queue's limits (admin): concurrency over all workers, weight, rate.",
        "Give at least one; the others stay as they are. Example:",
        "  hourglass queues limits emails --weight 3 --rate 10 --burst 20 --max-running 5"
      })
  static final class Limits extends ClientCommands.Base {
    @Parameters(paramLabel = "QUEUE")
    String queue;

    @Mixin LimitOptions given;

    @Option(
        names = "--weight",
        paramLabel = "W",
        description = "Its share under the weighted lease strategy, 1 to 10000 (default 1).")
    Integer weight;

    @Override
    int run(HourglassClient client, PrintStream out) {
      QueuePolicy p = client.setQueueLimits(queue, given.limits(weight));
      if (conn.json()) {
        Output.json(out, p);
        return 0;
      }
      List<String> parts = new java.util.ArrayList<>();
      if (given.maxRunning != null) {
        parts.add("max running " + (given.maxRunning == 0 ? "unlimited" : given.maxRunning));
      }
      parts.add("weight " + p.weight());
      parts.add(LimitOptions.rateText(p.ratePerSecond(), p.burst()));
      out.printf("queue %s limited: %s%n", queue, String.join(", ", parts));
      return 0;
    }
  }

  @Command(
      name = "policy",
      mixinStandardHelpOptions = true,
      description = {
        "Set how a queue serves its jobs' fairness keys (admin). round_robin gives",
        "each key with ready jobs one job per turn (or its --key-weight); none turns",
        "it off. The key weights given replace the queue's earlier ones. Example:",
        "  hourglass queues policy shared --fairness round_robin --key-weight gold=4"
      })
  static final class Policy extends ClientCommands.Base {
    @Parameters(paramLabel = "QUEUE")
    String queue;

    @Option(
        names = "--fairness",
        required = true,
        paramLabel = "round_robin|none",
        converter = FairnessName.class,
        description = "round_robin: serve the fairness keys in turn; none: plain priority order.")
    Fairness fairness;

    @Option(
        names = "--key-weight",
        split = ",",
        paramLabel = "KEY=JOBS",
        description =
            "Jobs per turn of a key, 1 to 1000 (default 1), e.g. gold=4; repeat or separate"
                + " with commas.")
    Map<String, Integer> keyWeights = new java.util.LinkedHashMap<>();

    @Override
    int run(HourglassClient client, PrintStream out) {
      QueuePolicy p = client.setQueueFairness(queue, fairness, keyWeights);
      if (conn.json()) {
        Output.json(out, p);
        return 0;
      }
      out.printf(
          "queue %s fairness %s%s%n",
          queue, p.fairness(), "round_robin".equals(p.fairness()) ? ": " + policy(p) : "");
      return 0;
    }
  }

  /** The fairness by its API name ({@code round_robin}), as the HTTP API and docs spell it. */
  static final class FairnessName implements picocli.CommandLine.ITypeConverter<Fairness> {
    @Override
    public Fairness convert(String value) {
      for (Fairness f : Fairness.values()) {
        if (f.wireName().equals(value)) {
          return f;
        }
      }
      throw new picocli.CommandLine.TypeConversionException(
          "--fairness " + value + " is not one of round_robin, none");
    }
  }

  @Command(
      name = "task-limits",
      mixinStandardHelpOptions = true,
      description = {
        "Without TASK: list the task types that have a limit, with their running jobs.",
        "With TASK: set its limits over all its queues and workers (admin): concurrency,",
        "rate. Give at least one; the others stay as they are. Example:",
        "  hourglass queues task-limits send-email --rate 10 --burst 20 --max-running 5"
      })
  static final class TaskLimits extends ClientCommands.Base {
    @Parameters(
        paramLabel = "TASK",
        arity = "0..1",
        description = "The task type whose limits to set; omit it to list them all.")
    String task;

    @Mixin LimitOptions given;

    @Override
    int run(HourglassClient client, PrintStream out) {
      if (task == null) {
        if (!given.none()) {
          throw new IllegalArgumentException(
              "--max-running, --rate and --burst set one task type's limits: give the task type"
                  + " first, e.g. hourglass queues task-limits send-email --max-running 5");
        }
        return listTaskLimits(client, out, conn);
      }
      TaskLimit t = client.setTaskLimits(task, given.limits(null));
      if (conn.json()) {
        Output.json(out, t);
      } else {
        out.printf(
            "task %s limited: max running %s, %s%n",
            task,
            t.maxRunning() == 0 ? "unlimited" : t.maxRunning(),
            LimitOptions.rateText(t.ratePerSecond(), t.burst()));
      }
      return 0;
    }
  }

  static int listTaskLimits(HourglassClient client, PrintStream out, Connection conn) {
    List<TaskLimit> all = client.taskLimits();
    if (conn.json()) {
      Output.json(out, all);
      return 0;
    }
    if (all.isEmpty()) {
      out.println("no task type has a limit; set one with: hourglass queues task-limits TASK ...");
      return 0;
    }
    var t = new Table("TASK", "RUNNING", "MAX RUNNING", "RATE", "BURST");
    for (TaskLimit l : all) {
      t.row(
          l.task(),
          l.running(),
          l.maxRunning() == 0 ? "-" : l.maxRunning(),
          l.ratePerSecond() == null ? "-" : LimitOptions.perSecond(l.ratePerSecond()),
          l.burst());
    }
    t.print(out);
    return 0;
  }
}
