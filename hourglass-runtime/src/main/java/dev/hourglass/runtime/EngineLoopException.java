package dev.hourglass.runtime;

import dev.hourglass.core.event.ErrorCode;
import java.net.URI;

/**
 * Why the {@link EngineLoop} (or a backend under it) did not do what was asked: an expected
 * failure, so no stack trace is filled. Each case says whether anything was applied. A shell maps
 * the family to its own protocol in one place (the HTTP server: {@code ApiException.from}), with an
 * exhaustive switch, so a new case fails to compile there until it is mapped.
 */
public abstract sealed class EngineLoopException extends RuntimeException {

  private EngineLoopException(String detail) {
    super(detail, null, false, false);
  }

  /**
   * This node does not serve now (a follower, or a leader not ready yet); nothing was applied, so
   * repeating the request at the leader is safe.
   */
  public static final class NotServing extends EngineLoopException {
    private final String nodeId;
    private final String leaderId;
    private final URI leaderEndpoint;

    /**
     * @param nodeId this node
     * @param leaderId the leader when known (this node's own id: elected, not ready yet), else null
     * @param leaderEndpoint where the leader's clients go, when known, else null
     */
    public NotServing(String nodeId, String leaderId, URI leaderEndpoint) {
      super(
          "node %s does not serve: leader=%s endpoint=%s; nothing was applied"
              .formatted(nodeId, leaderId, leaderEndpoint));
      this.nodeId = nodeId;
      this.leaderId = leaderId;
      this.leaderEndpoint = leaderEndpoint;
    }

    public String nodeId() {
      return nodeId;
    }

    public String leaderId() {
      return leaderId;
    }

    public URI leaderEndpoint() {
      return leaderEndpoint;
    }
  }

  /** A bound was reached (inbox, parked long polls, waiters); nothing was applied. */
  public static final class Overloaded extends EngineLoopException {
    public Overloaded(String detail) {
      super(detail);
    }
  }

  /** The engine refused the command with this code; the refusal itself is logged, nothing else. */
  public static final class Rejected extends EngineLoopException {
    private final ErrorCode code;

    public Rejected(ErrorCode code, String detail) {
      super(detail);
      this.code = code;
    }

    public ErrorCode code() {
      return code;
    }
  }

  /** No answer within the wait; the request may still be applied. */
  public static final class TimedOut extends EngineLoopException {
    public TimedOut(String detail) {
      super(detail);
    }
  }

  /** The log failed while the request waited: it may or may not have been applied. */
  public static final class LogFailed extends EngineLoopException {
    public LogFailed(String detail) {
      super(detail);
    }
  }

  /** The loop is stopping or stopped and did not apply the request. */
  public static final class Stopped extends EngineLoopException {
    public Stopped(String detail) {
      super(detail);
    }
  }

  /**
   * The backend could not make the request durable now (a replica without a majority); whether it
   * was applied is as the detail says.
   */
  public static final class Unavailable extends EngineLoopException {
    public Unavailable(String detail) {
      super(detail);
    }
  }
}
