package dev.hourglass.bench.peers;

/**
 * The job body JobRunr finds by analysing the enqueued lambda; public because JobRunr invokes it
 * reflectively from its own package.
 */
public final class JobRunrJobs {
  private JobRunrJobs() {}

  /** Reports job {@code id} to the current recorder. */
  public static void run(Integer id) {
    Recorder.current.ran(id);
  }
}
