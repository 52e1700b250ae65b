package dev.hourglass.core.view;

import java.util.Map;

/**
 * A queue's settings and counts.
 *
 * @param countsByState jobs of this queue per state
 * @param readyByPriority READY jobs per priority, highest first
 */
public record QueueView(
    String name,
    boolean paused,
    int maxRunning,
    int running,
    Map<JobState, Long> countsByState,
    Map<Integer, Long> readyByPriority) {}
