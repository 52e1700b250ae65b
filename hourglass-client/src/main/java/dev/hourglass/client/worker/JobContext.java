package dev.hourglass.client.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.hourglass.client.Assignment;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.internal.Json;
import java.time.Instant;
import java.util.Optional;

/**
 * What a {@link JobHandler} knows about its job. Thread-safe: the worker's heartbeat thread updates
 * the lease end and the lost flag while the handler runs.
 */
public final class JobContext {
  private final Assignment assignment;
  private final String workerId;
  private final HourglassClient client;
  private volatile Instant leaseExpiresAt;
  private volatile boolean leaseLost;
  private volatile Cancellation cancellation;
  private volatile int attempt;

  JobContext(Assignment assignment, String workerId, HourglassClient client) {
    this.assignment = assignment;
    this.workerId = workerId;
    this.client = client;
    this.leaseExpiresAt = assignment.leaseExpiresAt();
  }

  /**
   * The job's id.
   *
   * @return the id
   */
  public String jobId() {
    return assignment.jobId();
  }

  /**
   * The lease's generation: the fencing token. Pass it to downstream systems with any write, so
   * that they can refuse a write from an older generation (a zombie that lost its lease).
   *
   * @return the generation, 1 for the first lease
   */
  public int generation() {
    return assignment.generation();
  }

  /**
   * The task type.
   *
   * @return the task type
   */
  public String task() {
    return assignment.task();
  }

  /**
   * The job's queue.
   *
   * @return the queue
   */
  public String queue() {
    return assignment.queue();
  }

  /**
   * The id of the worker running the job.
   *
   * @return the worker id
   */
  public String workerId() {
    return workerId;
  }

  /**
   * The payload as JSON text.
   *
   * @return the text, or null when the job has no payload
   */
  public String payload() {
    return assignment.payload();
  }

  /**
   * The payload bound to a type by Jackson (snake_case names).
   *
   * @param type e.g. a record class, {@code Map.class}, or Jackson's {@code JsonNode.class} for a
   *     tree
   * @param <T> the type
   * @return the payload, or null when the job has none
   * @throws NonRetryableException if the payload does not fit the type (retrying cannot help)
   */
  public <T> T payloadAs(Class<T> type) {
    String p = assignment.payload();
    if (p == null) {
      return null;
    }
    try {
      return Json.MAPPER.readValue(p, type);
    } catch (JsonProcessingException e) {
      throw new NonRetryableException(
          "payload of job "
              + jobId()
              + " does not fit "
              + type.getSimpleName()
              + ": "
              + e.getOriginalMessage(),
          e);
    }
  }

  /**
   * Which attempt this is, counting those that count against the job's max attempts: 1 for the
   * first, {@code failures + 1} in general (an attempt given back by a shutting-down worker does
   * not count). The lease carries it; from an older server that does not send it, the first call
   * reads the job from the server.
   *
   * @return the attempt, 1 or more
   * @throws dev.hourglass.client.HourglassException if the server cannot be reached
   */
  public int attempt() {
    int a = attempt > 0 ? attempt : assignment.attempt();
    if (a == 0) {
      a = client.job(jobId()).failures() + 1;
      attempt = a;
    }
    return a;
  }

  /**
   * The W3C traceparent of whoever submitted the job (stored with it by the client when an
   * OpenTelemetry context was current), for a span that links this attempt to the submitter's.
   *
   * @return the traceparent, or null when the job has none
   */
  public String traceparent() {
    return assignment.traceparent();
  }

  /**
   * The W3C tracestate that goes with {@link #traceparent()}.
   *
   * @return the tracestate, or null
   */
  public String tracestate() {
    return assignment.tracestate();
  }

  /**
   * When the lease ends unless heartbeated again (the worker heartbeats for the handler).
   *
   * @return the lease end
   */
  public Instant leaseExpiresAt() {
    return leaseExpiresAt;
  }

  /**
   * Whether the server told this worker that it no longer holds the job (409). A handler that sees
   * true should stop: its result would be refused.
   *
   * @return true once the lease is lost (or given back at shutdown, or the job was cancelled or
   *     timed out: see {@link #isCancelled()})
   */
  public boolean leaseLost() {
    return leaseLost;
  }

  /**
   * Whether the job was cancelled or its attempt timed out while the handler ran. The worker learns
   * of it within about a second (through its signal poll, not its heartbeat), sets this, and
   * interrupts the handler's thread; a handler that does not block interruptibly should check this
   * in its loops and return. Whatever the handler returns afterwards is not reported.
   *
   * @return true once cancelled or timed out
   */
  public boolean isCancelled() {
    return cancellation != null;
  }

  /**
   * Why the handler should stop, when {@link #isCancelled()}: cancelled (with the reason the
   * canceller gave) or timed out.
   *
   * @return the cancellation, or empty while the job may run on
   */
  public Optional<Cancellation> cancellation() {
    return Optional.ofNullable(cancellation);
  }

  void markCancelled(Cancellation c) {
    cancellation = c;
    leaseLost = true;
  }

  void leaseExtended(Instant until) {
    leaseExpiresAt = until;
  }

  void markLost() {
    leaseLost = true;
  }

  @Override
  public String toString() {
    return "job="
        + jobId()
        + " task="
        + task()
        + " generation="
        + generation()
        + " worker="
        + workerId;
  }
}
