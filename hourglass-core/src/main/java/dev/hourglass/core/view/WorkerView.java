package dev.hourglass.core.view;

import java.util.List;

/**
 * A worker's registration and health as the engine knows it.
 *
 * @param queues the queues it serves; empty: every queue
 * @param tasks the task types it can run; empty: every task type
 * @param reserve slots set aside per queue; empty for none
 */
public record WorkerView(
    String workerId,
    int capacity,
    List<String> queues,
    int inFlight,
    long lastSeenMillis,
    long heartbeatTimeoutMillis,
    boolean alive,
    List<String> tasks,
    java.util.Map<String, Integer> reserve) {}
