package dev.hourglass.node;

/**
 * A request the node answers with a Maelstrom {@code error} body instead of its normal reply. It is
 * an expected outcome (bad input, a crashed scheduler), so it never stops the node: the dispatcher
 * turns it into one output line and reads the next message.
 */
final class ProtocolException extends RuntimeException {
  private final ErrorKind kind;

  ProtocolException(ErrorKind kind, String text) {
    super(text, null, false, false);
    this.kind = kind;
  }

  ErrorKind kind() {
    return kind;
  }

  /** Maelstrom's standard error codes, those this node uses. */
  enum ErrorKind {
    /** The message type is not one this node implements. */
    NOT_SUPPORTED(10),
    /** The scheduler is down (between a crash and a restart), or no replica is left. */
    TEMPORARILY_UNAVAILABLE(11),
    /** The input is not JSON, not an object, or lacks or mistypes a field. */
    MALFORMED_REQUEST(12),
    /** The node failed to write its log and stops: nothing more can be made durable. */
    CRASH(13),
    /** The request names a job or replica that does not exist. */
    KEY_DOES_NOT_EXIST(20),
    /** The request does not apply in the current state (e.g. executing a finished job). */
    PRECONDITION_FAILED(22);

    final int code;

    ErrorKind(int code) {
      this.code = code;
    }
  }
}
