package dev.hourglass.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One step of a simulated run: what a client, a worker, the clock or the fault injector does next.
 * A run is its seed plus its list of actions; each action carries its own {@code salt} for its
 * random choices, so a run with steps cut out (shrinking) still makes the same choices in the steps
 * it keeps.
 */
sealed interface Action {

  /** A client submits one job, with or without an idempotency key (then it retries). */
  record Submit(int client, long salt) implements Action {}

  /** A client submits a batch in one command, some jobs depending on others (a DAG). */
  record SubmitBatch(int client, long salt) implements Action {}

  /** A client puts a cron schedule firing every few seconds. */
  record PutCron(int client, long salt) implements Action {}

  /** A worker asks for jobs (a long poll when it may wait). */
  record Poll(int worker, long salt) implements Action {}

  /** A worker heartbeats, completes, fails or releases one job it holds. */
  record Work(int worker, long salt) implements Action {}

  /** A worker goes silent (a GC pause, a partition): its leases run out; it may come back. */
  record Stall(int worker, long millis) implements Action {}

  /** A worker process dies and restarts, forgetting its jobs. */
  record WorkerCrash(int worker) implements Action {}

  /** Simulated time passes. */
  record Advance(long millis) implements Action {}

  /** The scheduler process will crash at the given point. */
  record SchedulerCrash(CrashPoint point, long salt) implements Action {}

  /** Where the scheduler process loses its power. */
  enum CrashPoint {
    /** Between two steps: nothing in flight. */
    NOW,
    /** After a batch was appended to the log, before it was forced. */
    BEFORE_NEXT_LOG_FORCE,
    /** After a batch was forced and applied, before any of its answers left the process. */
    BEFORE_NEXT_ANSWERS,
    /** In the middle of the next snapshot (or the log compaction after it). */
    IN_NEXT_SNAPSHOT,
    /** At a random write, force, rename or delete a few operations from now. */
    AT_A_RANDOM_DISK_OPERATION
  }

  /** The actions of a run of {@code steps} steps for {@code seed}. */
  static List<Action> generate(long seed, int steps, int clients, int workers) {
    Random r = new Random(Simulation.mix(seed, 0));
    List<Action> actions = new ArrayList<>(steps);
    for (int i = 0; i < steps; i++) {
      int roll = r.nextInt(100);
      long salt = r.nextLong();
      Action a;
      if (roll < 14) {
        a = new Submit(r.nextInt(clients), salt);
      } else if (roll < 18) {
        a = new SubmitBatch(r.nextInt(clients), salt);
      } else if (roll < 19) {
        a = new PutCron(r.nextInt(clients), salt);
      } else if (roll < 38) {
        a = new Poll(r.nextInt(workers), salt);
      } else if (roll < 62) {
        a = new Work(r.nextInt(workers), salt);
      } else if (roll < 64) {
        a = new Stall(r.nextInt(workers), 500 + r.nextInt(8_000));
      } else if (roll < 65) {
        a = new WorkerCrash(r.nextInt(workers));
      } else if (roll < 97) {
        a = new Advance(r.nextInt(10) < 8 ? r.nextInt(200) : r.nextInt(3_000));
      } else {
        CrashPoint[] points = CrashPoint.values();
        a = new SchedulerCrash(points[r.nextInt(points.length)], salt);
      }
      actions.add(a);
    }
    return actions;
  }
}
