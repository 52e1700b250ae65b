package dev.hourglass.bench.engine;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.Engine;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome.Applied;
import java.util.List;
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
 * One job's whole life in memory: submit, lease, complete (three applied commands), on one thread,
 * with a backlog of {@code pending} jobs already waiting. The score is jobs per second.
 *
 * <p>Backlog kinds: {@code fifo} puts the backlog in the same queue, task and priority, so every
 * lease takes the oldest backlog job while the new one joins the tail (a queue of constant length
 * churning through memory); {@code lower-priority} puts it in the same queue at a lower priority,
 * so leases take the new job past millions of waiting ones; {@code delayed} schedules it an hour
 * ahead.
 *
 * <p>Run: {@code java -cp 'hourglass-bench/target/*:hourglass-bench/target/lib/*'
 * org.openjdk.jmh.Main EngineThroughputBench}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xmx16g", "-Xms16g", "-XX:+UseParallelGC"})
public class EngineThroughputBench {

  @Param({"10000", "1000000", "10000000"})
  int pending;

  @Param({"fifo", "lower-priority", "delayed"})
  String backlog;

  private Engine engine;
  private long now = 1_700_000_000_000L;
  private long next;

  @Setup(Level.Trial)
  public void fill() {
    engine = new Engine();
    engine.apply(new Command.RegisterWorker(now, "w", 1, List.of(), 3_600_000));
    for (int i = 0; i < pending; i++) {
      JobSpec spec = JobSpec.of("backlog-" + i, "t", null);
      spec =
          switch (backlog) {
            case "lower-priority" -> spec.withPriority(-1);
            case "delayed" -> spec.withRunAt(now + 3_600_000);
            default -> spec;
          };
      engine.apply(new Command.SubmitJob(now, spec));
    }
    System.gc();
  }

  @Benchmark
  public Object submitLeaseComplete() {
    String id = "job-" + next++;
    engine.apply(new Command.SubmitJob(now, JobSpec.of(id, "t", null)));
    Applied leased = (Applied) engine.apply(new Command.LeaseJobs(now, "w", 1, List.of(), 30_000));
    LeaseGranted g = null;
    for (Event e : leased.events()) {
      if (e instanceof LeaseGranted lg) {
        g = lg;
      }
    }
    return engine.apply(new Command.CompleteJob(now, g.jobId(), "w", g.generation(), null));
  }
}
