package dev.hourglass.cli.demo;

import java.io.PrintStream;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Terminal helpers for the live demo: detection, a progress bar, in-place redraw. Stateless. */
final class DemoTerminal {
  private DemoTerminal() {}

  /** Whether stdout is an interactive terminal that understands ANSI cursor movement. */
  static boolean isTerminal() {
    var console = System.console();
    if (console == null || "dumb".equals(System.getenv("TERM"))) {
      return false;
    }
    try { // JDK 22+ returns a Console even when redirected; isTerminal() tells them apart
      return (Boolean) console.getClass().getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return true; // JDK 21: a console exists only for a terminal
    }
  }

  /** The server and Helidon log at INFO; in the demo only warnings may reach the screen. */
  static void quietLogs() {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
        instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.WARN);
    }
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
    java.util.logging.Logger.getLogger("io.helidon").setLevel(java.util.logging.Level.WARNING);
  }

  static String bar(long done, long total, int width) {
    int filled = total == 0 ? 0 : (int) (width * done / total);
    return "[" + "#".repeat(filled) + "-".repeat(width - filled) + "]";
  }

  /** Draws the frame over the previous one; returns its line count. */
  static int redraw(PrintStream out, List<String> lines, int previousLines) {
    var b = new StringBuilder();
    if (previousLines > 0) {
      b.append("\033[").append(previousLines).append('F'); // to the previous frame's first line
    }
    for (String l : lines) {
      b.append("\033[2K").append(l).append('\n');
    }
    for (int i = lines.size(); i < previousLines; i++) {
      b.append("\033[2K\n");
    }
    out.print(b);
    out.flush();
    return Math.max(lines.size(), previousLines);
  }
}
