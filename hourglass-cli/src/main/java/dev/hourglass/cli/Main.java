package dev.hourglass.cli;

import dev.hourglass.cli.commands.ClientCommands;
import dev.hourglass.cli.commands.ClusterCommand;
import dev.hourglass.cli.commands.QueueCommands;
import dev.hourglass.cli.commands.ScheduleCommands;
import dev.hourglass.cli.commands.WorkerCommand;
import dev.hourglass.cli.demo.EngineDemo;
import dev.hourglass.cli.demo.LiveDemo;
import dev.hourglass.client.HourglassException;
import dev.hourglass.node.NodeMain;
import dev.hourglass.server.ServerMain;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The one {@code hourglass} command; each subcommand is one way to run or use Hourglass. */
@Command(
    name = "hourglass",
    mixinStandardHelpOptions = true,
    version = "hourglass 0.1.0",
    description = "Fault-tolerant job scheduler.",
    subcommands = {
      Main.Demo.class,
      Main.Server.class,
      WorkerCommand.class,
      ClientCommands.Submit.class,
      ClientCommands.Status.class,
      ClientCommands.Jobs.class,
      ClientCommands.Workers.class,
      ClientCommands.Dlq.class,
      ClientCommands.Cancel.class,
      ScheduleCommands.class,
      QueueCommands.class,
      ClusterCommand.class,
      ClusterCommand.PartitionsCommand.class,
      Main.Node.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line with error handling: a refusal prints its detail, not a stack trace. */
  public static CommandLine commandLine() {
    var cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          if (e instanceof HourglassException h) {
            line.getErr()
                .println(
                    "hourglass: "
                        + h.detail()
                        + (h.status() == 0
                            ? ""
                            : " (HTTP " + h.status() + " " + h.codeName() + ")"));
            return 1;
          }
          if (e instanceof IllegalArgumentException) {
            line.getErr().println("hourglass: " + e.getMessage());
            return 2;
          }
          throw e;
        });
    return cl;
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  @Command(
      name = "demo",
      mixinStandardHelpOptions = true,
      description = {
        "Start an embedded server and three worker processes, run a mixed workload"
            + " with live progress, SIGKILL one worker mid-job, and print a summary (< 30 s).",
        "--engine-only runs the older scripted scenario on the bare engine in simulated time."
      })
  static final class Demo implements Callable<Integer> {
    @Option(
        names = "--engine-only",
        description = "The scripted engine scenario in simulated time (no server, no processes).")
    boolean engineOnly;

    @Option(
        names = "--seed",
        defaultValue = "42",
        description = "Seed of the engine-only scenario's random choices.")
    long seed;

    @Option(
        names = "--keep-running",
        description = "Leave the server and workers up after the summary and print the URL.")
    boolean keepRunning;

    @Option(names = "--plain", description = "Plain progress lines even on a terminal.")
    boolean plain;

    @Option(
        names = "--cluster",
        description =
            "Three replica processes (Raft) instead of one"
                + " server; the leader is SIGKILLed mid-run and restarted.")
    boolean cluster;

    @Override
    public Integer call() throws Exception {
      if (engineOnly) {
        return new EngineDemo(System.out, seed).run();
      }
      return new LiveDemo(
              new LiveDemo.Options(System.out, plain ? false : null, keepRunning, cluster))
          .run();
    }
  }

  /**
   * Its options are parsed by {@link ServerMain} (which {@code java -jar} runs directly), so
   * picocli only passes them through; the help shows ServerMain's own option list.
   */
  @Command(
      name = "server",
      mixinStandardHelpOptions = true,
      customSynopsis = "hourglass server --data-dir DIR [OPTION]...",
      description = "Run one node: HTTP/JSON API, engine and write-ahead log.",
      footer = {"Options of the server (hourglass server --data-dir DIR ...):", ServerMain.OPTIONS})
  static final class Server implements Callable<Integer> {
    @CommandLine.Unmatched String[] args = new String[0];

    @Override
    public Integer call() {
      return ServerMain.run(args);
    }
  }

  @Command(
      name = "node",
      mixinStandardHelpOptions = true,
      customSynopsis = "hourglass node [--data-dir DIR]",
      description =
          "Speak the message protocol of docs/PROTOCOL.md (JSON lines) on stdin/stdout,"
              + " for conformance tests and teaching.",
      footer = "Options: --data-dir DIR (default: a temporary directory, deleted at the end)")
  static final class Node implements Callable<Integer> {
    @CommandLine.Unmatched String[] args = new String[0];

    @Override
    public Integer call() {
      return NodeMain.run(args, System.in, System.out, System.err);
    }
  }
}
