package dev.hourglass.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command and subcommand of the real {@code hourglass} command answers {@code --help} and
 * {@code -h} with its usage and exit code 0, and {@code hourglass help [COMMAND]} works. The tree
 * is walked, so a command added later is covered without touching this test.
 */
class HelpTest {
  private static Run run(String... args) {
    return Run.of(args);
  }

  /** Every command path below the root, e.g. [schedules, create], parents before children. */
  private static List<List<String>> commandPaths(CommandLine cl, List<String> prefix) {
    List<List<String>> out = new ArrayList<>();
    for (var e : cl.getSubcommands().entrySet()) {
      if (!e.getKey().equals(e.getValue().getCommandName())) {
        continue; // an alias
      }
      List<String> path = new ArrayList<>(prefix);
      path.add(e.getKey());
      out.add(path);
      out.addAll(commandPaths(e.getValue(), path));
    }
    return out;
  }

  @Test
  void everyCommandAndSubcommandAnswersHelpAndHWithItsUsage() {
    List<List<String>> paths = commandPaths(Main.commandLine(), List.of());
    paths.add(0, List.of());
    assertThat(paths)
        .as("the command tree")
        .hasSizeGreaterThan(20)
        .contains(
            List.of("server"), List.of("node"), List.of("help"), List.of("schedules", "create"));
    for (List<String> path : paths) {
      for (String flag : new String[] {"--help", "-h"}) {
        List<String> args = new ArrayList<>(path);
        args.add(flag);
        Run r = run(args.toArray(String[]::new));
        String what = String.join(" ", args);
        assertThat(r.exit()).as("%s: %s", what, r.err()).isZero();
        assertThat(r.out())
            .as(what)
            .contains("Usage: hourglass" + (path.isEmpty() ? "" : " " + String.join(" ", path)));
        assertThat(r.err()).as(what).isEmpty();
      }
    }
  }

  @Test
  void helpNamesEveryCommandAndHelpCommandShowsThatCommandsUsage() {
    Run all = run("help");
    assertThat(all.exit()).isZero();
    for (List<String> path : commandPaths(Main.commandLine(), List.of())) {
      if (path.size() == 1) {
        assertThat(all.out()).contains(path.get(0));
        Run one = run("help", path.get(0));
        assertThat(one.exit()).as(path.get(0)).isZero();
        assertThat(one.out()).contains("Usage: hourglass " + path.get(0));
      }
    }
    assertThat(run("help", "no-such-command").exit()).isNotZero();
  }

  @Test
  void theServersHelpListsItsOwnOptions() {
    Run r = run("server", "--help");
    assertThat(r.out())
        .contains("--data-dir DIR")
        .contains("--bind ADDRESS")
        .contains("--tokens-file FILE")
        .contains("--allow-unauthenticated");
    Run after = run("server", "--data-dir", "d", "-h");
    assertThat(after.exit()).isZero();
    assertThat(after.out()).contains("--tokens-file FILE");
  }
}
