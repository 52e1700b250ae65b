package dev.hourglass.core.view;

import dev.hourglass.core.command.RateLimit;

/**
 * A task type's limits across all workers.
 *
 * @param maxRunning at most this many of its jobs run at once; 0 for no limit
 * @param running how many run now
 * @param rate how fast they may start; {@link RateLimit#NONE} for no limit
 */
public record TaskLimitView(String task, int maxRunning, int running, RateLimit rate) {}
