package dev.hourglass.wal;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** Starts a test main in a separate JVM on the test classpath and collects its stdout lines. */
final class ChildProcess implements AutoCloseable {
  private final Process process;
  private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private final List<String> allLines = new ArrayList<>();
  private final CompletableFuture<Void> drained = new CompletableFuture<>();

  private final Path stderrFile;

  private ChildProcess(Process process, Path stderrFile) {
    this.process = process;
    this.stderrFile = stderrFile;
    Thread.ofPlatform().daemon(true).name("child-stdout").start(this::pump);
  }

  static ChildProcess start(Class<?> main, Path stderrFile, String... args) throws IOException {
    var command = new ArrayList<String>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // Why: C1 only and no class-data archive checks keep JVM start near 0.3 s on 2 vCPUs.
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    var builder = new ProcessBuilder(command).redirectError(stderrFile.toFile());
    return new ChildProcess(builder.start(), stderrFile);
  }

  private void pump() {
    try (var reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        synchronized (allLines) {
          allLines.add(line);
        }
        lines.add(line);
      }
    } catch (IOException e) {
      // The stream closes when the child is killed; whatever was read is kept.
    } finally {
      drained.complete(null);
    }
  }

  /** Waits (bounded) for a line starting with {@code prefix}; returns it, or null on timeout. */
  String awaitLine(String prefix, long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return null;
      }
      var line = lines.poll(left, TimeUnit.NANOSECONDS);
      if (line != null && line.startsWith(prefix)) {
        return line;
      }
      if (line == null && !process.isAlive() && drained.isDone() && lines.isEmpty()) {
        return null;
      }
    }
  }

  /** SIGKILL on Linux; waits for exit and for stdout to be fully read. */
  List<String> killAndCollect() throws Exception {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    drained.get(10, TimeUnit.SECONDS);
    synchronized (allLines) {
      return List.copyOf(allLines);
    }
  }

  int waitForExit(long timeoutMillis) throws Exception {
    if (!process.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
      throw new AssertionError("child did not exit within " + timeoutMillis + " ms");
    }
    drained.get(10, TimeUnit.SECONDS);
    return process.exitValue();
  }

  List<String> lines() {
    synchronized (allLines) {
      return List.copyOf(allLines);
    }
  }

  /** Exit status and stderr, for assertion messages. */
  String describe() {
    String err;
    try {
      err = java.nio.file.Files.readString(stderrFile);
    } catch (IOException e) {
      err = "(stderr unreadable: " + e + ")";
    }
    return "child alive=%s exit=%s stdout=%s stderr=%s"
        .formatted(process.isAlive(), process.isAlive() ? "-" : process.exitValue(), lines(), err);
  }

  @Override
  public void close() {
    process.destroyForcibly();
  }
}
