package dev.hourglass.core.view;

import dev.hourglass.core.command.ScheduleSpec;

/** A schedule's definition and its running totals. */
public record ScheduleView(
    ScheduleSpec spec,
    boolean paused,
    long nextFireAtMillis,
    long lastFireAtMillis,
    long fired,
    long skipped,
    int liveJobs) {}
