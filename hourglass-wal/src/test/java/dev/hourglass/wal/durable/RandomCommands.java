package dev.hourglass.wal.durable;

import dev.hourglass.core.command.Backoff;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import java.util.List;
import java.util.SplittableRandom;

/** A seeded stream of plausible commands: submits (with DAGs), leases, reports, ticks, cancels. */
final class RandomCommands {
  private final SplittableRandom random;
  private final String[] workers = {"w1", "w2", "w3"};
  private long now = 1_700_000_000_000L;
  private int jobs;

  RandomCommands(long seed) {
    random = new SplittableRandom(seed);
  }

  Command next() {
    int dice = random.nextInt(100);
    String job = "j" + random.nextInt(Math.max(1, jobs));
    String worker = workers[random.nextInt(workers.length)];
    int gen = 1 + random.nextInt(3);
    if (dice < 30 || jobs == 0) {
      JobSpec spec =
          JobSpec.of("j" + jobs++, "t" + random.nextInt(3), "{\"n\": " + jobs + "}")
              .withPriority(random.nextInt(3))
              .withMaxAttempts(1 + random.nextInt(3))
              .withBackoff(new Backoff(random.nextInt(1_000), 5_000, random.nextBoolean()));
      if (jobs > 1 && random.nextInt(4) == 0) {
        spec = spec.withDependsOn(List.of("j" + random.nextInt(jobs - 1)));
      }
      if (random.nextInt(4) == 0) {
        spec = spec.withRunAt(now + random.nextInt(5_000));
      }
      return new Command.SubmitJob(now, spec);
    } else if (dice < 50) {
      return new Command.LeaseJobs(now, worker, 1 + random.nextInt(3), List.of(), 3_000);
    } else if (dice < 60) {
      return new Command.CompleteJob(now, job, worker, gen, "ok");
    } else if (dice < 68) {
      return new Command.FailJob(now, job, worker, gen, "boom", true);
    } else if (dice < 72) {
      return new Command.AssignJob(now, job, worker, 0, 3_000);
    } else if (dice < 75) {
      return new Command.CancelJob(now, job, "random");
    } else if (dice < 78) {
      return new Command.RedriveJob(now, job);
    } else {
      now += random.nextInt(2_000);
      return new Command.Tick(now);
    }
  }
}
