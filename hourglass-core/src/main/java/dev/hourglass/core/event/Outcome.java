package dev.hourglass.core.event;

import java.util.List;

/** The result of applying a command: either it changed the state, or it was refused untouched. */
public sealed interface Outcome {

  boolean isApplied();

  /** The command was applied; {@code events} says what changed, in order. */
  record Applied(List<Event> events) implements Outcome {
    public static final Applied NOTHING = new Applied(List.of());

    @Override
    public boolean isApplied() {
      return true;
    }
  }

  /**
   * The command was refused and nothing changed.
   *
   * @param existing for {@link ErrorCode#ALREADY_ASSIGNED}, the live assignment; otherwise null
   */
  record Rejected(ErrorCode code, String detail, Assignment existing) implements Outcome {
    public Rejected(ErrorCode code, String detail) {
      this(code, detail, null);
    }

    /**
     * No job has this id: the engine's refusal, and the HTTP API's 404 for a read, in one wording.
     */
    public static Rejected unknownJob(String jobId) {
      return new Rejected(
          ErrorCode.UNKNOWN_JOB,
          "no job " + jobId + " exists (it may have been evicted after its retention period)");
    }

    /** No schedule has this id; shared by the engine and the HTTP API like {@link #unknownJob}. */
    public static Rejected unknownSchedule(String scheduleId) {
      return new Rejected(ErrorCode.UNKNOWN_SCHEDULE, "no schedule " + scheduleId + " exists");
    }

    @Override
    public boolean isApplied() {
      return false;
    }

    @Override
    public String toString() {
      return code + ": " + detail;
    }
  }

  /** A live assignment of a job to a worker in a generation. */
  record Assignment(String jobId, String workerId, int generation) {}
}
