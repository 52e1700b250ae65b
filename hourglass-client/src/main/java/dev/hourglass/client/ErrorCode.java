package dev.hourglass.client;

import java.util.HashMap;
import java.util.Map;

/**
 * The stable codes of the server's problem answers (docs/API.md, "Errors"), plus the client's own
 * ({@link #UNREACHABLE}, {@link #TOO_MANY_REDIRECTS}). Branch on these, not on the detail text.
 *
 * <p>A newer server may send a code this client does not know yet: it maps to {@link #UNKNOWN}, and
 * the exception's {@link HourglassException#codeName()} still holds the code as sent. So a {@code
 * switch} over these needs a branch for {@code UNKNOWN} (or a {@code default}).
 */
public enum ErrorCode {
  // 400: the request itself is wrong
  /** The body is not JSON. */
  MALFORMED_JSON,
  /** The body could not be read as a whole (it ended early). */
  MALFORMED_REQUEST,
  /** The body has a field the server does not know (a typo, or a newer client). */
  UNKNOWN_FIELD,
  /** A field has the wrong JSON type. */
  INVALID_TYPE,
  /** A field is missing, out of its bounds, or malformed. */
  INVALID_ARGUMENT,
  /** The cron expression or time zone cannot be parsed. */
  INVALID_SCHEDULE,
  /** A command's time is older than time the engine has already reached by more than allowed. */
  CLOCK_WENT_BACKWARDS,

  // 401, 403: auth
  /** Tokens are configured and the call has none, or an unknown one. */
  UNAUTHORIZED,
  /** The token's role may not make this call. */
  FORBIDDEN,

  // 404: no such thing
  /** No job with that id exists (or it was evicted after its retention period). */
  UNKNOWN_JOB,
  /** No worker with that id is registered. */
  UNKNOWN_WORKER,
  /** No schedule with that id exists. */
  UNKNOWN_SCHEDULE,
  /** No such route: a wrong URL, or an older server without this call. */
  NOT_FOUND,
  /** A known path called with a method it does not answer; the {@code Allow} header lists them. */
  METHOD_NOT_ALLOWED,
  /** A body that is not declared {@code application/json} (UTF-8). */
  UNSUPPORTED_MEDIA_TYPE,

  // 409: the state does not allow it
  /** The generation named is older than the job's current one: a zombie's late answer. */
  STALE_GENERATION,
  /** The worker named does not hold the job's live lease. */
  NOT_LEASE_HOLDER,
  /** The call does not apply to a job in its current state (e.g. cancel of a finished job). */
  ILLEGAL_TRANSITION,
  /** A job with that id exists already. */
  DUPLICATE_JOB_ID,
  /** The job is already assigned in that generation. */
  ALREADY_ASSIGNED,
  /** The caller's attempt ended because the job was cancelled: stop working on it. */
  CANCELLED,
  /** The caller's attempt ran past the job's timeout: stop working on it. */
  TIMED_OUT,

  // 413, 422
  /** The request body is over the server's limit. */
  BODY_TOO_LARGE,
  /** A payload or result is over the server's limit. */
  PAYLOAD_TOO_LARGE,
  /** A job depends on a job that does not exist. */
  UNKNOWN_PARENT,
  /** The jobs' dependencies form a cycle. */
  DEPENDENCY_CYCLE,

  // 503: try again later; nothing was applied
  /** The server is busy; wait as its {@code Retry-After} asks. */
  OVERLOADED,
  /** The server is stopping, or its log failed. */
  UNAVAILABLE,
  /** The replica knows no leader (an election is under way). */
  NO_LEADER,
  /** The replica is a follower (a 503, or a 307 towards the leader). */
  NOT_LEADER,
  /** The replica was just elected and is catching up. */
  LEADER_NOT_READY,

  // 500
  /** A bug in the server; never the answer to bad input. */
  INTERNAL,

  // the client's own
  /** No HTTP answer came (refused, timed out, interrupted): the call may have been applied. */
  UNREACHABLE,
  /** Redirects went on past {@link HourglassClient#REDIRECTS_MAX}. */
  TOO_MANY_REDIRECTS,
  /**
   * A code this client does not know (a newer server), or an answer without a problem body (a
   * proxy's error page); see {@link HourglassException#codeName()} for what was sent.
   */
  UNKNOWN;

  private static final Map<String, ErrorCode> BY_NAME = new HashMap<>();

  static {
    for (ErrorCode c : values()) {
      BY_NAME.put(c.name(), c);
    }
  }

  /**
   * The code of this name, as the server sends it.
   *
   * @param name e.g. {@code "STALE_GENERATION"}
   * @return the code, or {@link #UNKNOWN} for a name this client does not know (or null)
   */
  public static ErrorCode of(String name) {
    return name == null ? UNKNOWN : BY_NAME.getOrDefault(name, UNKNOWN);
  }
}
