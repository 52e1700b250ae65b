package dev.hourglass.client.worker;

import dev.hourglass.client.HourglassException;
import dev.hourglass.client.JobState;
import java.time.Duration;

/**
 * Hears what a {@link Worker} does, for metrics, logs, tests and the demo. Every method has an
 * empty default. Methods are called from the worker's threads (several at once): implementations
 * must be thread-safe and quick, and should not throw (a throw is ignored).
 */
public interface WorkerListener {
  /**
   * A job was leased and its handler is about to run.
   *
   * @param ctx the job
   * @throws RuntimeException ignored
   */
  default void onLeased(JobContext ctx) {}

  /**
   * The server accepted the job's completion.
   *
   * @param ctx the job
   * @param result what the handler returned
   * @throws RuntimeException ignored
   */
  default void onCompleted(JobContext ctx, Object result) {}

  /**
   * The handler threw and the server accepted the failure report.
   *
   * @param ctx the job
   * @param error what the handler threw
   * @param state FAILED (a retry is scheduled) or DEAD
   * @throws RuntimeException ignored
   */
  default void onFailed(JobContext ctx, Throwable error, JobState state) {}

  /**
   * The server refused a heartbeat or report with 409: the lease was lost (expired and re-leased,
   * or the job was cancelled). The job was dropped and its handler interrupted.
   *
   * @param ctx the job
   * @param refusal the server's refusal
   * @throws RuntimeException ignored
   */
  default void onLeaseLost(JobContext ctx, HourglassException refusal) {}

  /**
   * The job was cancelled, or its attempt timed out, while its handler ran: the worker dropped the
   * job (it does not report it) and interrupted the handler. Called instead of {@link #onLeaseLost}
   * for these two causes.
   *
   * @param ctx the job
   * @param cancellation why
   * @throws RuntimeException ignored
   */
  default void onCancelled(JobContext ctx, Cancellation cancellation) {}

  /**
   * Shutdown gave the job back unfinished (its handler did not end within the timeout).
   *
   * @param ctx the job
   * @throws RuntimeException ignored
   */
  default void onReleased(JobContext ctx) {}

  /**
   * A call failed transiently; the worker waits this long before trying again.
   *
   * @param error the failure
   * @param backoff the wait
   * @throws RuntimeException ignored
   */
  default void onServerUnreachable(HourglassException error, Duration backoff) {}
}
