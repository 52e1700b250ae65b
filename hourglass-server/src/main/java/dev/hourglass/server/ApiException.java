package dev.hourglass.server;

import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Outcome.Rejected;
import dev.hourglass.runtime.EngineLoopException;
import java.net.URI;

/**
 * A request the server refuses, with everything its RFC 9457 problem body says. Thrown by handlers
 * and turned into {@code application/problem+json} in one place ({@link Http}).
 */
final class ApiException extends RuntimeException {
  private final int status;
  private final String code;
  private final String title;
  private final String retryAfterSeconds;
  private final URI redirectBase;
  private final boolean closesConnection;

  ApiException(int status, String code, String title, String detail) {
    this(status, code, title, detail, null);
  }

  ApiException(int status, String code, String title, String detail, String retryAfterSeconds) {
    this(status, code, title, detail, retryAfterSeconds, null);
  }

  private ApiException(
      int status,
      String code,
      String title,
      String detail,
      String retryAfterSeconds,
      URI redirectBase) {
    this(status, code, title, detail, retryAfterSeconds, redirectBase, false);
  }

  private ApiException(
      int status,
      String code,
      String title,
      String detail,
      String retryAfterSeconds,
      URI redirectBase,
      boolean closesConnection) {
    super(detail, null, false, false); // expected failures: no stack trace to fill
    this.status = status;
    this.code = code;
    this.title = title;
    this.retryAfterSeconds = retryAfterSeconds;
    this.redirectBase = redirectBase;
    this.closesConnection = closesConnection;
  }

  /** The same refusal, answered with {@code Connection: close} (part of the body is unread). */
  ApiException closingConnection() {
    return new ApiException(
        status, code, title, getMessage(), retryAfterSeconds, redirectBase, true);
  }

  boolean closesConnection() {
    return closesConnection;
  }

  static ApiException badRequest(String code, String detail) {
    return new ApiException(400, code, "Bad request", detail);
  }

  static ApiException notFound(String detail) {
    return new ApiException(404, "NOT_FOUND", "Not found", detail);
  }

  static ApiException overloaded(String detail) {
    return new ApiException(503, "OVERLOADED", "Service unavailable", detail, "1");
  }

  static ApiException unavailable(String detail) {
    return new ApiException(503, "UNAVAILABLE", "Service unavailable", detail, "5");
  }

  /**
   * A replica that is not the leader: 307 to the same path on the leader's API when its address is
   * known, else 503 (no leader yet, a new leader not ready yet, or the leader's HTTP address was
   * not configured). Nothing was applied, so repeating the call there is safe.
   */
  static ApiException notLeader(String nodeId, String leaderId, URI leaderHttp) {
    if (nodeId.equals(leaderId)) {
      return new ApiException(
          503,
          "LEADER_NOT_READY",
          "Service unavailable",
          ("replica %s was"
                  + " just elected leader and is still applying the entries of earlier terms; nothing was"
                  + " applied; retry in a moment")
              .formatted(nodeId),
          "1");
    }
    if (leaderId == null) {
      return new ApiException(
          503,
          "NO_LEADER",
          "Service unavailable",
          ("replica %s knows no"
                  + " leader (an election is under way, or no majority is reachable); nothing was"
                  + " applied; retry shortly")
              .formatted(nodeId),
          "1");
    }
    if (leaderHttp == null) {
      return new ApiException(
          503,
          "NOT_LEADER",
          "Service unavailable",
          ("replica %s is a"
                  + " follower; the leader is %s, but its HTTP address is unknown here (start replicas"
                  + " with --peers-http); nothing was applied; send the call to %s")
              .formatted(nodeId, leaderId, leaderId),
          "1");
    }
    return new ApiException(
        307,
        "NOT_LEADER",
        "Temporary redirect",
        ("replica %s is a follower;"
                + " the leader is %s at %s; nothing was applied; repeat the call there")
            .formatted(nodeId, leaderId, leaderHttp),
        null,
        leaderHttp);
  }

  /** The engine refused a command: the status follows from its error code. */
  static ApiException rejected(Rejected r) {
    return rejected(r.code(), r.detail());
  }

  private static ApiException rejected(ErrorCode code, String detail) {
    return new ApiException(status(code), code.name(), title(code), detail);
  }

  /**
   * The one place where the engine loop's refusals become HTTP answers: not serving is 307 to the
   * leader (or 503), overloaded 503 with {@code Retry-After: 1}, an engine refusal the status of
   * its code, and a stop, a timeout, a log failure or no majority 503 with {@code Retry-After: 5}.
   */
  static ApiException from(EngineLoopException e) {
    return switch (e) {
      case EngineLoopException.NotServing n ->
          notLeader(n.nodeId(), n.leaderId(), n.leaderEndpoint());
      case EngineLoopException.Overloaded o -> overloaded(o.getMessage());
      case EngineLoopException.Rejected r -> rejected(r.code(), r.getMessage());
      case EngineLoopException.TimedOut t -> unavailable(t.getMessage());
      case EngineLoopException.LogFailed f -> unavailable(f.getMessage());
      case EngineLoopException.Stopped s -> unavailable(s.getMessage());
      case EngineLoopException.Unavailable u -> unavailable(u.getMessage());
    };
  }

  static int status(ErrorCode code) {
    return switch (code) {
      case INVALID_ARGUMENT, INVALID_SCHEDULE -> 400;
      case UNKNOWN_JOB, UNKNOWN_WORKER, UNKNOWN_SCHEDULE -> 404;
      case DUPLICATE_JOB_ID,
          ILLEGAL_TRANSITION,
          ALREADY_ASSIGNED,
          STALE_GENERATION,
          NOT_LEASE_HOLDER,
          CLOCK_WENT_BACKWARDS,
          CANCELLED,
          TIMED_OUT ->
          409;
      case UNKNOWN_PARENT, DEPENDENCY_CYCLE -> 422;
    };
  }

  private static String title(ErrorCode code) {
    return switch (status(code)) {
      case 400 -> "Bad request";
      case 404 -> "Not found";
      case 409 -> "Conflict";
      default -> "Unprocessable content";
    };
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  String title() {
    return title;
  }

  /** The leader's API base URL for a 307 (the request's path is appended), or null. */
  URI redirectBase() {
    return redirectBase;
  }

  /** Seconds for a {@code Retry-After} header, or null. */
  String retryAfterSeconds() {
    return retryAfterSeconds;
  }
}
