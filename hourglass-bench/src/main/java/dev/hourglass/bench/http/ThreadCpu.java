package dev.hourglass.bench.http;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Where a process's CPU went, by kind of thread: each thread's utime + stime from {@code
 * /proc/PID/task/TID/stat}, grouped by its name. Read before and after a window; {@link #since}
 * gives each group's CPU seconds in between. Threads that ended inside the window are missing from
 * the second reading, so their CPU is not counted (the server's threads live as long as it does).
 *
 * <p>The groups: {@code apply} (the partitions' loop threads, {@code hourglass-apply}), {@code wal}
 * (flusher and completer of each partition's log), {@code http+gateway} (the carrier threads of the
 * virtual threads that serve HTTP, which also run the gateway's routing and JSON), {@code raft}
 * (Ratis and gRPC), {@code gc}, {@code jit}, and {@code other}.
 *
 * <p>Thread-safety: immutable.
 */
public record ThreadCpu(Map<String, Long> ticksByGroup) {
  /** Linux USER_HZ; the same on every mainstream distribution. */
  private static final double TICKS_PER_SECOND = 100;

  /** The process's threads now; empty where /proc cannot be read (not Linux, process gone). */
  public static ThreadCpu read(long pid) {
    Map<String, Long> ticks = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"));
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          ticks.merge(group(name), Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
        } catch (IOException | RuntimeException ended) {
          // the thread ended while we listed them
        }
      }
    } catch (IOException | RuntimeException e) {
      return new ThreadCpu(Map.of());
    }
    return new ThreadCpu(ticks);
  }

  /** Kernel thread names are cut to 15 characters: group by prefix. */
  static String group(String name) {
    if (name.startsWith("hourglass-apply")) {
      return "apply";
    }
    if (name.startsWith("hourglass-wal")) {
      return "wal";
    }
    if (name.startsWith("ForkJoinPool")
        || name.startsWith("helidon")
        || name.startsWith("server")) {
      return "http+gateway";
    }
    if (name.startsWith("grpc")
        || name.contains("@group")
        || name.contains("Raft")
        || name.contains("EventLoop")) {
      return "raft";
    }
    if (name.startsWith("GC ") || name.startsWith("G1 ") || name.startsWith("VM Thread")) {
      return "gc";
    }
    if (name.startsWith("C1 ") || name.startsWith("C2 ")) {
      return "jit";
    }
    return "other";
  }

  /** CPU seconds per group from {@code before} to this reading, largest first. */
  public Map<String, Double> since(ThreadCpu before) {
    Map<String, Double> seconds = new LinkedHashMap<>();
    ticksByGroup.entrySet().stream()
        .map(
            e ->
                Map.entry(
                    e.getKey(), e.getValue() - before.ticksByGroup.getOrDefault(e.getKey(), 0L)))
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> seconds.put(e.getKey(), e.getValue() / TICKS_PER_SECOND));
    return seconds;
  }

  /** {@code apply 61% 12.3 s, http+gateway 20% ...}: each group's share of the whole. */
  public static String describe(Map<String, Double> seconds) {
    double total = seconds.values().stream().mapToDouble(Double::doubleValue).sum();
    return seconds.entrySet().stream()
        .map(
            e ->
                String.format(
                    Locale.ROOT,
                    "%s %.0f%% (%.1f s)",
                    e.getKey(),
                    100 * e.getValue() / Math.max(1e-9, total),
                    e.getValue()))
        .collect(Collectors.joining(", "));
  }
}
