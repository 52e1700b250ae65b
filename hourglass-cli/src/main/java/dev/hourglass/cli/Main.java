package dev.hourglass.cli;

import dev.hourglass.cli.demo.EngineDemo;
import dev.hourglass.node.NodeMain;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The one {@code hourglass} command; each subcommand is one way to run Hourglass. */
@Command(
    name = "hourglass",
    mixinStandardHelpOptions = true,
    version = "hourglass 0.1.0",
    description = "Fault-tolerant distributed job scheduler.",
    subcommands = {Main.Demo.class, Main.Node.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  @Command(name = "demo", description = "Run a scripted scheduling scenario and print what happens.")
  static final class Demo implements Callable<Integer> {
    @Option(names = "--seed", description = "Seed of the scenario's random choices.",
        defaultValue = "42")
    long seed;

    @Override
    public Integer call() {
      return new EngineDemo(System.out, seed).run();
    }
  }

  @Command(name = "node",
      description = "Speak the seed message protocol (JSON lines) on stdin/stdout.")
  static final class Node implements Callable<Integer> {
    @CommandLine.Unmatched String[] args = new String[0];

    @Override
    public Integer call() {
      return NodeMain.run(args, System.in, System.out, System.err);
    }
  }
}
