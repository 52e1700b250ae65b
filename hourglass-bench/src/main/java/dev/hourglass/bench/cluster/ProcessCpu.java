package dev.hourglass.bench.cluster;

import dev.hourglass.bench.http.ThreadCpu;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The CPU time of this driver and of the replica processes it spawned (its children), with each
 * replica's split by kind of thread, read at the start and end of a measured window: what a
 * replicated job costs in CPU, which on a machine with fewer cores than the processes want is the
 * figure that carries over to a bigger one.
 *
 * <p>Thread-safety: immutable.
 */
record ProcessCpu(
    long driverNanos, List<Long> pids, List<Long> replicaNanos, List<ThreadCpu> threads) {
  static ProcessCpu read(int replicas) {
    List<Long> pids = new ArrayList<>();
    List<Long> nanos = new ArrayList<>();
    List<ThreadCpu> threads = new ArrayList<>();
    ProcessHandle.current()
        .children()
        .filter(ProcessHandle::isAlive)
        .sorted((a, b) -> Long.compare(a.pid(), b.pid()))
        .limit(replicas)
        .forEach(
            h -> {
              pids.add(h.pid());
              nanos.add(h.info().totalCpuDuration().map(Duration::toNanos).orElse(0L));
              threads.add(ThreadCpu.read(h.pid()));
            });
    long driver =
        ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
    return new ProcessCpu(driver, pids, nanos, threads);
  }

  /** Lines for the window from {@code before} to this reading, in which {@code jobs} were done. */
  String since(ProcessCpu before, long jobs, double seconds) {
    var out = new StringBuilder();
    double millions = Math.max(1, jobs) / 1e6;
    double replicasTotal = 0;
    for (int i = 0; i < pids.size(); i++) {
      int j = before.pids.indexOf(pids.get(i));
      if (j < 0) {
        continue; // restarted inside the window
      }
      double s = (replicaNanos.get(i) - before.replicaNanos.get(j)) / 1e9;
      replicasTotal += s;
      out.append(
          String.format(
              Locale.ROOT,
              "  replica pid %d: %.2f cores; %s%n",
              pids.get(i),
              s / seconds,
              ThreadCpu.describe(threads.get(i).since(before.threads.get(j)))));
    }
    double driver = (driverNanos - before.driverNanos) / 1e9;
    out.append(
        String.format(
            Locale.ROOT,
            "  CPU per 1M jobs: replicas %.1f s (%.2f cores), driver %.1f s (%.2f cores)%n",
            replicasTotal / millions,
            replicasTotal / seconds,
            driver / millions,
            driver / seconds));
    return out.toString();
  }
}
