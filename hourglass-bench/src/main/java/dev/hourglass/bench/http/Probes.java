package dev.hourglass.bench.http;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What a measured window used besides the jobs it moved: this process's CPU, the server process's
 * CPU (from /proc, when its pid is known), the whole machine's busy share, and the server's group
 * commits (from its Prometheus metrics). Read at the start and end of a window.
 *
 * @param nanos wall clock (System.nanoTime)
 * @param generatorCpuNanos this JVM's CPU time
 * @param serverCpuTicks the server process's utime + stime in clock ticks, or -1
 * @param machineTicks every CPU's ticks since boot
 * @param machineIdleTicks idle + iowait ticks since boot
 * @param commits group commits so far
 * @param commands commands in them
 * @param commitSeconds seconds they took (append, fsync, apply)
 */
record Probes(
    long nanos,
    long generatorCpuNanos,
    long serverCpuTicks,
    long machineTicks,
    long machineIdleTicks,
    double commits,
    double commands,
    double commitSeconds) {
  /** Linux USER_HZ; the same on every mainstream distribution. */
  private static final double TICKS_PER_SECOND = 100;

  static Probes read(long serverPid, String metricsText) {
    long[] cpu = machine();
    return new Probes(
        System.nanoTime(),
        generatorCpu(),
        serverCpu(serverPid),
        cpu[0],
        cpu[1],
        metric(metricsText, "hourglass_log_batch_commands_count"),
        metric(metricsText, "hourglass_log_batch_commands_sum"),
        metric(metricsText, "hourglass_log_batch_seconds_sum"));
  }

  private static long generatorCpu() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return -1;
  }

  private static long serverCpu(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14, 15)
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long[] machine() {
    try {
      String first = Files.readAllLines(Path.of("/proc/stat")).get(0);
      long[] v =
          Arrays.stream(first.substring(3).trim().split("\\s+"))
              .limit(8)
              .mapToLong(Long::parseLong)
              .toArray();
      return new long[] {Arrays.stream(v).sum(), v[3] + v[4]};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }

  static double metric(String text, String name) {
    if (text == null) {
      return 0;
    }
    for (String line : text.split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).strip());
      }
    }
    return 0;
  }

  /** The differences between two readings, as rates and shares. */
  record Window(
      double seconds,
      double generatorCores,
      double serverCores,
      double machineBusy,
      double commitsPerSecond,
      double commandsPerCommit,
      double millisPerCommit) {
    static Window between(Probes a, Probes b) {
      double s = (b.nanos - a.nanos) / 1e9;
      double gen =
          a.generatorCpuNanos < 0
              ? Double.NaN
              : (b.generatorCpuNanos - a.generatorCpuNanos) / 1e9 / s;
      double srv =
          a.serverCpuTicks < 0 || b.serverCpuTicks < 0
              ? Double.NaN
              : (b.serverCpuTicks - a.serverCpuTicks) / TICKS_PER_SECOND / s;
      long total = b.machineTicks - a.machineTicks;
      double busy =
          total <= 0 ? Double.NaN : 1 - (double) (b.machineIdleTicks - a.machineIdleTicks) / total;
      double commits = b.commits - a.commits;
      return new Window(
          s,
          gen,
          srv,
          busy,
          commits / s,
          commits <= 0 ? Double.NaN : (b.commands - a.commands) / commits,
          commits <= 0 ? Double.NaN : 1000 * (b.commitSeconds - a.commitSeconds) / commits);
    }
  }
}
