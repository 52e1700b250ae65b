package dev.hourglass.wal.durable;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.wal.FsyncPolicy;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The process that {@link DurableEngineCrashTest} kills: runs the durable engine (fsync always)
 * under a stream of submits, leases and completions, and prints one line per acknowledged result,
 * only after the command is durable: {@code S job}, {@code L job generation}, {@code C job
 * generation}. Runs until killed.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String run = args[1];
    SplittableRandom random = new SplittableRandom(Long.parseLong(args[2]));
    PrintStream out = new PrintStream(System.out, false);
    ArrayDeque<Event.LeaseGranted> held = new ArrayDeque<>();
    try (DurableEngine engine =
        DurableEngine.open(dir, EngineConfig.DEFAULTS, new FsyncPolicy.Always())) {
      out.println("READY");
      out.flush();
      for (long i = 0; ; i++) {
        long now = System.currentTimeMillis();
        String job = run + "-" + i;
        if (engine.apply(new Command.SubmitJob(now, JobSpec.of(job, "t", null))).isApplied()) {
          out.println("S " + job);
        }
        Outcome leased =
            engine.apply(
                new Command.LeaseJobs(
                    now,
                    "w" + random.nextInt(3),
                    1 + random.nextInt(2),
                    List.of(),
                    200 + random.nextInt(400)));
        if (leased instanceof Outcome.Applied a) {
          for (Event e : a.events()) {
            if (e instanceof Event.LeaseGranted g) {
              held.add(g);
              out.println("L " + g.jobId() + " " + g.generation());
            }
          }
        }
        if (!held.isEmpty() && random.nextInt(3) > 0) {
          Event.LeaseGranted g = held.poll();
          if (engine
              .apply(new Command.CompleteJob(now, g.jobId(), g.workerId(), g.generation(), null))
              .isApplied()) {
            out.println("C " + g.jobId() + " " + g.generation());
          }
        }
        if (random.nextInt(5) == 0) {
          engine.apply(new Command.Tick(now));
        }
        out.flush();
      }
    }
  }
}
