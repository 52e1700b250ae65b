package dev.hourglass.wal;

import java.nio.file.Path;

/** Another process, or another open log in this JVM, holds the lock on the data directory. */
public final class DataDirectoryLockedException extends WalException {
  private static final long serialVersionUID = 1L;

  private final transient Path directory;

  public DataDirectoryLockedException(Path directory, Path lockFile) {
    super(
        "data directory %s is in use by another Hourglass process (lock file %s held); stop it or choose another --data-dir"
            .formatted(directory, lockFile));
    this.directory = directory;
  }

  public Path directory() {
    return directory;
  }
}
