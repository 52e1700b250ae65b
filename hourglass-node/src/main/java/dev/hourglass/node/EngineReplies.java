package dev.hourglass.node;

import dev.hourglass.core.engine.EngineQueries;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.core.view.JobFilter;
import dev.hourglass.core.view.JobState;
import dev.hourglass.core.view.JobView;
import dev.hourglass.core.view.Page;
import dev.hourglass.node.ProtocolException.ErrorKind;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** What the protocol handlers share about reading the engine and translating its refusals. */
final class EngineReplies {
  private EngineReplies() {}

  /** The Maelstrom error for an engine refusal, keeping the engine's specific detail text. */
  static ProtocolException error(Rejected rejected) {
    ErrorKind kind =
        switch (rejected.code()) {
          case INVALID_ARGUMENT, INVALID_SCHEDULE -> ErrorKind.MALFORMED_REQUEST;
          case UNKNOWN_JOB, UNKNOWN_PARENT, UNKNOWN_WORKER, UNKNOWN_SCHEDULE ->
              ErrorKind.KEY_DOES_NOT_EXIST;
          case DUPLICATE_JOB_ID,
              ILLEGAL_TRANSITION,
              DEPENDENCY_CYCLE,
              ALREADY_ASSIGNED,
              STALE_GENERATION,
              NOT_LEASE_HOLDER,
              CLOCK_WENT_BACKWARDS,
              CANCELLED,
              TIMED_OUT ->
              ErrorKind.PRECONDITION_FAILED;
        };
    return new ProtocolException(kind, rejected.detail());
  }

  /**
   * Every job in one state, oldest (first submitted) first. Pages through the engine's newest-first
   * listing; each page moves the cursor strictly down, so the loop ends.
   */
  static List<JobView> oldestFirst(EngineQueries queries, JobState state) {
    List<JobView> jobs = new ArrayList<>();
    JobFilter filter = new JobFilter(state, null, null);
    String cursor = null;
    do {
      Page<JobView> page = queries.jobs(filter, cursor, EngineQueries.PAGE_SIZE_MAX);
      jobs.addAll(page.items());
      cursor = page.nextCursor();
    } while (cursor != null);
    Collections.reverse(jobs);
    return jobs;
  }
}
