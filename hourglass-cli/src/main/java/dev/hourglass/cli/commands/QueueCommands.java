package dev.hourglass.cli.commands;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.QueueInfo;
import dev.hourglass.client.QueuePolicy;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code hourglass queues}: list queues with their depth (the default), pause, resume, and set
 * concurrency limits of a queue or a task type. All but the list need an admin token when tokens
 * are on.
 */
@Command(
    name = "queues",
    mixinStandardHelpOptions = true,
    description = "Queues: list with depth (default), pause, resume, limits, task-limits.",
    subcommands = {
      QueueCommands.ListQueues.class,
      QueueCommands.Pause.class,
      QueueCommands.Resume.class,
      QueueCommands.Limits.class,
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
      description = "At most N of a queue's jobs run at once over all workers (admin).")
  static final class Limits extends ClientCommands.Base {
    @Parameters(paramLabel = "QUEUE")
    String queue;

    @Option(
        names = "--max-running",
        required = true,
        paramLabel = "N",
        description = "The limit; 0 removes it.")
    int maxRunning;

    @Override
    int run(HourglassClient client, PrintStream out) {
      print(client.setQueueLimit(queue, maxRunning), "limited", conn, out);
      return 0;
    }
  }

  @Command(
      name = "task-limits",
      mixinStandardHelpOptions = true,
      description = "At most N jobs of a task type run at once over all workers (admin).")
  static final class TaskLimits extends ClientCommands.Base {
    @Parameters(paramLabel = "TASK")
    String task;

    @Option(
        names = "--max-running",
        required = true,
        paramLabel = "N",
        description = "The limit; 0 removes it.")
    int maxRunning;

    @Override
    int run(HourglassClient client, PrintStream out) {
      client.setTaskLimit(task, maxRunning);
      if (conn.json()) {
        Output.json(out, Map.of("task", task, "max_running", maxRunning));
      } else {
        out.printf(
            "task %s limited: max running %s%n", task, maxRunning == 0 ? "unlimited" : maxRunning);
      }
      return 0;
    }
  }
}
