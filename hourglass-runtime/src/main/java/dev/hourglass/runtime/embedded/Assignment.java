package dev.hourglass.runtime.embedded;

import java.time.Instant;

/**
 * A job leased to a worker: what to run and the fencing token to report with. The lease holds until
 * {@code leaseExpiresAt} unless the worker extends it with {@link
 * EmbeddedHourglass#heartbeat(Assignment, java.time.Duration)}; after that the job may be handed to
 * another worker in a higher generation, and this one's reports are refused with {@code
 * STALE_GENERATION}.
 *
 * @param jobId the job
 * @param workerId the worker that holds the lease (the one that asked)
 * @param generation the fencing token: every report about this attempt must name it
 * @param task the task type, which selects the handler
 * @param queue the queue the job was leased from
 * @param payload the job's payload as given at submit, or null
 * @param leaseExpiresAt when the lease ends unless extended
 * @param redelivered true when this assignment was made before a restart and never confirmed (by a
 *     heartbeat or a report): the worker may already run it, same generation, or may never have
 *     heard of it; a worker that runs it ignores the copy
 */
public record Assignment(
    String jobId,
    String workerId,
    int generation,
    String task,
    String queue,
    String payload,
    Instant leaseExpiresAt,
    boolean redelivered) {}
