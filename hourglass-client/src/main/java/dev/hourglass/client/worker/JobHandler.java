package dev.hourglass.client.worker;

/**
 * Runs one job of a task type. Registered with {@link Worker.Builder#handler}.
 *
 * <p>Return the result (any value Jackson writes as JSON, or null) to complete the job; throw to
 * fail the attempt, which is retried after backoff while attempts remain ({@link
 * NonRetryableException} sends it to the dead-letter queue at once). A handler runs on its own
 * virtual thread; it is interrupted when its lease is lost or the worker shuts down, and should
 * then stop ({@link JobContext#leaseLost()} tells which).
 */
@FunctionalInterface
public interface JobHandler {
  /**
   * Runs the job.
   *
   * @param ctx the job's id, generation (the fencing token), payload and attempt
   * @return the result, or null
   * @throws Exception to fail this attempt
   */
  Object handle(JobContext ctx) throws Exception;
}
