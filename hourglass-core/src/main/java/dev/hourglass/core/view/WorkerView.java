package dev.hourglass.core.view;

import java.util.List;

/** A worker's registration and health as the engine knows it. */
public record WorkerView(
    String workerId,
    int capacity,
    List<String> queues,
    int inFlight,
    long lastSeenMillis,
    long heartbeatTimeoutMillis,
    boolean alive) {}
