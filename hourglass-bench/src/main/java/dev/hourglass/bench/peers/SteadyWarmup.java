package dev.hourglass.bench.peers;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.Supplier;

/**
 * The unrecorded steady run before the measured one, in rounds, until the JIT has settled: a round
 * in which the JVM's compiler threads spent less than {@value #SETTLED_PERCENT}% of the round's
 * time compiling, or {@value #MAX_SECONDS} s in all.
 *
 * <p>Why not a fixed few seconds: the paths of one job at a time (a submit per request, a lease
 * parked and woken per job) are compiled only while that traffic runs, and over HTTP that took
 * 20-30 s at 1,000 jobs/s, during which the compiler threads took about one of the two cores (10.6
 * s of compile time in the first 10 s, 5.5 s in the next 10, 0.1-1.8 s in the third and fourth).
 * Measured after 3 s, Hourglass over HTTP reported p50 2.9-17 ms in back-to-back runs; after 30 s
 * 0.6-0.8 ms. A system in production runs for days, so its steady latency is the settled one. Every
 * system gets the same rule; one whose paths were already compiled stops after one round.
 */
final class SteadyWarmup {
  static final int ROUND_SECONDS = 2;
  static final int MAX_SECONDS = 20;
  static final int SETTLED_PERCENT = 5;

  private SteadyWarmup() {}

  /** Runs warm-up rounds; returns how many seconds of steady traffic it ran. */
  static int run(
      Workloads w, Supplier<Contender> factory, int ratePerSecond, long capMillis, Compiler jit)
      throws Exception {
    return run(w, factory, ratePerSecond, capMillis, jit, ROUND_SECONDS, MAX_SECONDS);
  }

  static int run(
      Workloads w,
      Supplier<Contender> factory,
      int ratePerSecond,
      long capMillis,
      Compiler jit,
      int roundSeconds,
      int maxSeconds)
      throws Exception {
    int seconds = 0;
    while (seconds < maxSeconds) {
      long compiledBefore = jit.compileMillis();
      long t0 = System.nanoTime();
      w.steady(factory, ratePerSecond, roundSeconds, capMillis, false);
      long roundMillis = (System.nanoTime() - t0) / 1_000_000;
      seconds += roundSeconds;
      if (jit.compileMillis() - compiledBefore < roundMillis * SETTLED_PERCENT / 100) {
        break;
      }
    }
    return seconds;
  }

  /** Where the time the JVM spent compiling comes from; a seam for tests. */
  interface Compiler {
    /** Milliseconds all compiler threads spent compiling since the JVM started, summed. */
    long compileMillis();

    /** This JVM's compiler, or one that reports 0 (so one round) where the JVM cannot tell. */
    static Compiler ofThisJvm() {
      CompilationMXBean bean = ManagementFactory.getCompilationMXBean();
      if (bean == null || !bean.isCompilationTimeMonitoringSupported()) {
        return () -> 0;
      }
      return bean::getTotalCompilationTime;
    }
  }
}
