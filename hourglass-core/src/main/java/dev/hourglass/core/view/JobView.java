package dev.hourglass.core.view;

import dev.hourglass.core.command.TraceContext;
import java.util.List;

/**
 * A read-only copy of a job as the engine knows it at one moment. Times are epoch milliseconds; 0
 * (or {@code Long.MAX_VALUE} for the deadline) means "none". {@code dependents} are the ids of the
 * jobs submitted with this one in their {@code dependsOn}, in submit order (some may have been
 * evicted since). {@code trace} is the submitter's W3C trace context, or null.
 */
public record JobView(
    String jobId,
    String queue,
    String task,
    String payload,
    int priority,
    long deadlineMillis,
    long runAtMillis,
    JobState state,
    int generation,
    int failures,
    int maxAttempts,
    long createdAtMillis,
    long dueAtMillis,
    long finishedAtMillis,
    List<String> dependsOn,
    List<String> dependents,
    String scheduleId,
    String idempotencyKey,
    String result,
    String reason,
    List<AttemptView> attempts,
    TraceContext trace,
    String fairnessKey) {

  /** The live attempt, if the job is RUNNING. */
  public AttemptView liveAttempt() {
    return state == JobState.RUNNING && !attempts.isEmpty()
        ? attempts.get(attempts.size() - 1)
        : null;
  }
}
