package dev.hourglass.core.view;

/**
 * Why a worker no longer holds a lease it was granted: what a worker's signal poll answers.
 *
 * @param jobId the job
 * @param generation the lease's generation
 * @param kind why it ended
 * @param reason the cancel's reason, or a sentence on the timeout or loss
 */
public record LeaseEnd(String jobId, int generation, Kind kind, String reason) {

  /** Why a lease ended without a report from its holder. */
  public enum Kind {
    /** The job was cancelled while this lease ran. */
    CANCELLED,
    /** The attempt ran past the job's timeout. */
    TIMED_OUT,
    /** Any other loss: the lease expired without heartbeat, the worker was declared dead, etc. */
    LEASE_LOST
  }
}
