package dev.hourglass.wal;

/**
 * An append arrived after {@link SegmentedLog#close()} started, or the log failed earlier (see the
 * cause). The record was not written.
 */
public final class WalClosedException extends WalException {
  private static final long serialVersionUID = 1L;

  public WalClosedException(String message, Throwable cause) {
    super(message, cause);
  }
}
