package dev.hourglass.core.view;

/**
 * READY jobs of one queue and task type that no live worker can run: every live worker either
 * serves other queues or names other task types. They wait until such a worker appears.
 *
 * @param ready how many READY jobs (all priorities)
 */
public record UnrunnableView(String queue, String task, long ready) {}
