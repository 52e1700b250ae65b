package dev.hourglass.core.engine;

import dev.hourglass.core.command.ScheduleSpec;
import dev.hourglass.core.cron.CronSchedule;
import java.util.LinkedHashSet;

/**
 * A schedule as the engine runs it: its definition, the next firing, counters, and the jobs of its
 * earlier firings that are still live (for the overlap policy). Sits in the engine's schedule heap
 * ordered by next firing.
 */
final class ScheduleState extends HeapMember {
  ScheduleSpec spec;

  /** Derived from spec and cached: parsing a cron expression costs tens of microseconds. */
  CronSchedule cron;

  boolean paused;

  /** The next firing's instant; -1 when the expression never fires again. */
  long nextFireAtMillis;

  long lastFireAtMillis;
  long fired;
  long skipped;

  /** With overlap QUEUE_ONE: the firing waiting for the live run to end; 0 for none. */
  long queuedFireAtMillis;

  final LinkedHashSet<String> liveJobIds = new LinkedHashSet<>();

  ScheduleState(ScheduleSpec spec, CronSchedule cron) {
    this.spec = spec;
    this.cron = cron;
  }

  String id() {
    return spec.scheduleId();
  }
}
