package dev.hourglass.node;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real node process ({@code java ... NodeMain}) on this test's class path, as a harness runs it:
 * stdin in, stdout lines out, stderr to a file for diagnosis.
 */
final class NodeProcess implements AutoCloseable {
  /** The harness's per-test timeout; start-up plus a test must fit well inside it. */
  static final long TIMEOUT_MILLIS = 5_000;

  private final Process process;
  private final BufferedReader stdout;
  private final OutputStream stdin;

  private NodeProcess(Process process) {
    this.process = process;
    this.stdout =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.stdin = process.getOutputStream();
  }

  static NodeProcess start(Path stderrFile, String... args) throws IOException {
    List<String> command =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // Lean start-up, as a harness-launched node wants: no JIT tiers beyond C1, small
                // heap.
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                NodeMain.class.getName()));
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.appendTo(stderrFile.toFile()))
            .start();
    return new NodeProcess(p);
  }

  /** Sends text verbatim (one or more lines). */
  void send(String text) throws IOException {
    stdin.write(text.getBytes(StandardCharsets.UTF_8));
    stdin.flush();
  }

  /** The next output line, blocking; null at the end of the output. */
  String readLine() throws IOException {
    return stdout.readLine();
  }

  /** Closes stdin, collects every remaining output line, and waits for the exit. */
  List<String> finish() throws IOException, InterruptedException {
    stdin.close();
    List<String> lines = new ArrayList<>();
    for (String line = stdout.readLine(); line != null; line = stdout.readLine()) {
      lines.add(line);
    }
    if (!process.waitFor(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
      throw new AssertionError(
          "node did not exit within " + TIMEOUT_MILLIS + " ms after the end of its input");
    }
    return lines;
  }

  int exitCode() {
    return process.exitValue();
  }

  /** SIGKILL: no shutdown hooks, no flushing, exactly like a crash. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
