package dev.hourglass.bench.engine;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.Engine;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.id.JobIds;
import dev.hourglass.core.view.JobState;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Heap bytes per job held, beyond its payload: fills an engine with N jobs that have UUIDv7 ids and
 * no payload, forces full collections, and divides the growth of the used heap by N. A size alone
 * measures READY jobs; {@code finished=N} measures jobs that ran once and succeeded, as the engine
 * keeps them for their retention. Prints one line per size.
 *
 * <p>Run: {@code java -Xmx24g -XX:+UseParallelGC -cp
 * 'hourglass-bench/target/*:hourglass-bench/target/lib/*'
 * dev.hourglass.bench.engine.EngineMemoryBench 1000000 10000000 finished=1000000}
 */
public final class EngineMemoryBench {
  private EngineMemoryBench() {}

  public static void main(String[] args) {
    for (String arg : args.length == 0 ? new String[] {"1000000"} : args) {
      boolean finished = arg.startsWith("finished=");
      measure(Integer.parseInt(finished ? arg.substring("finished=".length()) : arg), finished);
    }
  }

  /** Fills an engine with n READY jobs, or with n jobs that each ran once and succeeded. */
  private static void measure(int n, boolean finished) {
    long now = 1_700_000_000_000L;
    long[] clock = {now};
    JobIds ids = new JobIds(() -> clock[0]++, new SplittableRandom(1));
    long before = usedAfterGc();
    Engine engine = new Engine();
    long start = System.nanoTime();
    for (int i = 0; i < n; i++) {
      engine.apply(new Command.SubmitJob(now, JobSpec.of(ids.next(), "send-email", null)));
      if (finished) {
        runOnce(engine, now);
      }
    }
    long fillNanos = System.nanoTime() - start;
    long after = usedAfterGc();
    JobState state = finished ? JobState.SUCCEEDED : JobState.READY;
    System.out.printf(
        "%s=%,d heap/job=%.1f bytes fill=%.2f s (%,.0f jobs/s)%n",
        state.name().toLowerCase(java.util.Locale.ROOT),
        engine.queries().count(state),
        (after - before) / (double) n,
        fillNanos / 1e9,
        n / (fillNanos / 1e9));
    if (engine.queries().jobsHeld() != n || engine.queries().count(state) != n) {
      throw new AssertionError("engine holds " + engine.queries().countsByState() + ", not " + n);
    }
  }

  /** Leases the one READY job and completes it, as a worker would. */
  private static void runOnce(Engine engine, long now) {
    var leased = engine.apply(new Command.LeaseJobs(now, "worker-1", 1, List.of(), 60_000));
    for (Event e : ((Outcome.Applied) leased).events()) {
      if (e instanceof Event.LeaseGranted g) {
        engine.apply(new Command.CompleteJob(now, g.jobId(), g.workerId(), g.generation(), null));
      }
    }
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
