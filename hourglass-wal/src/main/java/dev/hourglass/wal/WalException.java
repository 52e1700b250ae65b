package dev.hourglass.wal;

import java.io.IOException;

/**
 * Root of every checked failure at the WAL boundary. An I/O error from the operating system that
 * the log cannot classify is wrapped in this type, so callers can catch one type for "the log is
 * unusable".
 */
public class WalException extends IOException {
  private static final long serialVersionUID = 1L;

  public WalException(String message) {
    super(message);
  }

  public WalException(String message, Throwable cause) {
    super(message, cause);
  }
}
