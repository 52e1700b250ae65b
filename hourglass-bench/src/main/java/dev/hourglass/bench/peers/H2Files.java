package dev.hourglass.bench.peers;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/** The embedded H2 file databases the JDBC peers run on, and how durable they are. */
final class H2Files {
  /**
   * What an H2 2.x file database keeps (MVStore defaults): a commit is written to the file
   * within {@code WRITE_DELAY} (500 ms) and is not fsynced, so a process crash can lose the last
   * half second of acknowledged commits and an OS crash or power loss more.
   */
  static final String DURABILITY = "H2 file, default WRITE_DELAY 500 ms: commits reach the file"
      + " within 0.5 s, no fsync per commit";

  private H2Files() {}

  /** A file database at {@code base} (H2 appends .mv.db). Lock waits up to 10 s, not 1 s. */
  static String url(Path base) {
    return "jdbc:h2:file:" + base.toAbsolutePath() + ";LOCK_TIMEOUT=10000";
  }

  /** Runs semicolon-separated statements, skipping comment lines. */
  static void runScript(String url, String script) throws Exception {
    StringBuilder cleaned = new StringBuilder();
    for (String line : script.split("\n")) {
      if (!line.strip().startsWith("--")) {
        cleaned.append(line).append('\n');
      }
    }
    try (Connection c = DriverManager.getConnection(url, "sa", "");
        Statement s = c.createStatement()) {
      for (String stmt : cleaned.toString().split(";")) {
        if (!stmt.isBlank()) {
          s.execute(stmt);
        }
      }
    }
  }
}
