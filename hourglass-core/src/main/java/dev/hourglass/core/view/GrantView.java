package dev.hourglass.core.view;

import dev.hourglass.core.command.TraceContext;

/**
 * What a lease answer tells a worker of a job it was just granted, beyond the grant's own event
 * (id, generation, task type, lease end).
 *
 * @param queue the job's queue
 * @param payload the job's payload, or null
 * @param failures failed attempts so far, so this attempt is number {@code failures + 1}
 * @param trace the submitter's W3C trace context, or null
 */
public record GrantView(String queue, String payload, int failures, TraceContext trace) {}
