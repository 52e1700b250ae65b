package dev.hourglass.client.worker;

import dev.hourglass.client.HourglassClient;
import java.time.Duration;

/**
 * A worker process for {@link WorkerProcessKillTest}: runs "slow" jobs that never finish by
 * themselves, printing {@code RUNNING <job> <generation>} when one starts, until it is killed.
 * Args: server URL, worker id.
 */
public final class KillableWorkerMain {
  private KillableWorkerMain() {}

  public static void main(String[] args) throws Exception {
    var client = HourglassClient.builder(args[0]).build();
    Worker.builder(client)
        .workerId(args[1])
        .capacity(1)
        .lease(Duration.ofSeconds(1))
        .heartbeatTimeout(Duration.ofSeconds(3))
        .pollWait(Duration.ofSeconds(2))
        .handler(
            "slow",
            ctx -> {
              System.out.println("RUNNING " + ctx.jobId() + " " + ctx.generation());
              System.out.flush();
              Thread.sleep(120_000);
              return "finished by " + ctx.workerId();
            })
        .build()
        .start();
    System.out.println("STARTED");
    System.out.flush();
    Thread.currentThread().join(180_000); // the test kills it long before
  }
}
