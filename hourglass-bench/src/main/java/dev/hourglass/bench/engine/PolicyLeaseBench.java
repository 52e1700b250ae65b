package dev.hourglass.bench.engine;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.command.RateLimit;
import dev.hourglass.core.engine.Engine;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome.Applied;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the scheduling policies cost on the lease path: one job's submit, lease and complete in
 * memory, on one thread, with a backlog of a million READY jobs, under each policy. Sample time per
 * job (mean and percentiles); compare each policy with {@code plain}, today's priority path.
 *
 * <p>Policies: {@code plain} (no policy); {@code fair-1}, {@code fair-1000}, {@code fair-1000000}
 * (a fair queue whose backlog and new jobs spread over that many fairness keys, so each lease takes
 * the next key's best job); {@code keyed-1000}, {@code keyed-1000000} (the same jobs and keys in a
 * plain queue: what the keys cost on their own, to creating and checking each job, so that {@code
 * fair-N} against {@code keyed-N} is the cost of the fair ring alone); {@code rate} (a queue rate
 * limit high enough never to hold a lease back, so the bucket's refill and take are measured, not
 * waiting); {@code weighted} (the weighted strategy over the backlog's queue and three empty ones).
 *
 * <p>Run: {@code java -cp 'hourglass-bench/target/*:hourglass-bench/target/lib/*'
 * org.openjdk.jmh.Main PolicyLeaseBench}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx4g", "-Xms4g", "-XX:+UseParallelGC"})
public class PolicyLeaseBench {
  /** The READY backlog: enough jobs for a million keys with one job each. */
  static final int BACKLOG = 1_000_000;

  @Param({
    "plain",
    "keyed-1000",
    "fair-1",
    "fair-1000",
    "fair-1000000",
    "keyed-1000000",
    "rate",
    "weighted"
  })
  String policy;

  private Engine engine;
  private long now = 1_700_000_000_000L;
  private long next;
  private int keys;
  private Command.LeaseJobs lease;

  @Setup(Level.Trial)
  public void fill() {
    engine = new Engine();
    engine.apply(new Command.RegisterWorker(now, "w", 1, List.of(), 3_600_000_000L));
    keys = policy.contains("-") ? Integer.parseInt(policy.substring(policy.indexOf('-') + 1)) : 0;
    if (policy.startsWith("fair-")) {
      engine.apply(new Command.SetQueueFairness(now, "q", true, Map.of()));
    }
    if (policy.equals("rate")) {
      // A million jobs a second with a full second of burst: never empty at one job per ms.
      engine.apply(new Command.SetQueueRate(now, "q", new RateLimit(1_000_000_000L, 1_000_000)));
    }
    for (int i = 0; i < BACKLOG; i++) {
      engine.apply(new Command.SubmitJob(now, spec("backlog-" + i, i)));
    }
    lease =
        policy.equals("weighted")
            ? new Command.LeaseJobs(
                now,
                "w",
                1,
                List.of("q", "a", "b", "c"),
                30_000,
                List.of(),
                dev.hourglass.core.command.LeaseStrategy.WEIGHTED)
            : new Command.LeaseJobs(now, "w", 1, List.of(), 30_000);
    System.gc();
  }

  private JobSpec spec(String id, long n) {
    JobSpec spec = JobSpec.of(id, "t", null).withQueue("q");
    return keys > 0 ? spec.withFairnessKey("k" + (n % keys)) : spec;
  }

  @Benchmark
  public Object submitLeaseComplete() {
    long n = next++;
    now++; // one millisecond per job: the rate limit refills from command time
    engine.apply(new Command.SubmitJob(now, spec("job-" + n, n)));
    Applied leased =
        (Applied)
            engine.apply(
                new Command.LeaseJobs(
                    now, lease.workerId(), 1, lease.queues(), 30_000, List.of(), lease.strategy()));
    LeaseGranted g = null;
    for (Event e : leased.events()) {
      if (e instanceof LeaseGranted lg) {
        g = lg;
      }
    }
    return engine.apply(new Command.CompleteJob(now, g.jobId(), "w", g.generation(), null));
  }
}
