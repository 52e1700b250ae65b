package dev.hourglass.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

/**
 * {@code n} JVM processes on this machine, each running {@code mainClass} with this JVM's classpath
 * and its own arguments, for local clusters in tests and benchmarks. Process {@code i}'s stdout and
 * stderr are appended to {@code <baseDir>/<name i>.log}; {@link #close} kills every process still
 * running. Not thread-safe: drive it from one thread.
 */
public final class LocalProcesses implements AutoCloseable {
  /** JDK 24+ flags: silence the shaded Netty's Unsafe and native-access warnings. */
  public static final List<String> JDK_FLAGS =
      List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED");

  private final Path baseDir;
  private final List<String> names;
  private final List<String> jvmArgs;
  private final String mainClass;
  private final IntFunction<List<String>> argsFor;
  private final Process[] processes;

  /**
   * @param names one per process, for logs and messages
   * @param jvmArgs extra JVM flags for every process (heap, JIT)
   * @param argsFor the program arguments of process {@code i}
   */
  public LocalProcesses(
      Path baseDir,
      List<String> names,
      List<String> jvmArgs,
      String mainClass,
      IntFunction<List<String>> argsFor)
      throws IOException {
    this.baseDir = baseDir;
    this.names = List.copyOf(names);
    this.jvmArgs = List.copyOf(jvmArgs);
    this.mainClass = mainClass;
    this.argsFor = argsFor;
    this.processes = new Process[names.size()];
    Files.createDirectories(baseDir);
  }

  public Path log(int i) {
    return baseDir.resolve(names.get(i) + ".log");
  }

  /** Starts process {@code i}. */
  public void start(int i) {
    if (isAlive(i)) {
      throw new IllegalStateException("already running: " + names.get(i));
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(JDK_FLAGS);
    cmd.addAll(inheritedAotCache());
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(argsFor.apply(i));
    var pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()));
    try {
      processes[i] = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + names.get(i), e);
    }
  }

  /**
   * This JVM's {@code -XX:AOTCache} flag (JDK 25+, set by {@code ./hourglass} after {@code
   * hourglass aot}): the children run the same classpath, so the same cache fits them and they
   * start and fail over faster (docs/BENCHMARKS.md). A {@code jvmArgs} flag given later wins.
   */
  private static List<String> inheritedAotCache() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-XX:AOTCache=") || a.startsWith("-Xlog:aot"))
        .toList();
  }

  public boolean isAlive(int i) {
    return processes[i] != null && processes[i].isAlive();
  }

  /** SIGKILL, and wait until the process is gone (its ports and locks released). */
  public void kill(int i) {
    Process p = processes[i];
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "did not die within 30 s of SIGKILL: " + names.get(i) + " pid=" + p.pid());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted killing " + names.get(i), e);
    }
    processes[i] = null;
  }

  /** The last lines of process {@code i}'s log, for failure messages. */
  public String tail(int i, int lines) {
    try {
      List<String> all = Files.exists(log(i)) ? Files.readAllLines(log(i)) : List.of();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log(i) + ": " + e + ")";
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < processes.length; i++) {
      kill(i);
    }
  }
}
