package dev.hourglass.wal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Exclusive ownership of a data directory, held as an OS file lock on {@code <dir>/LOCK}.
 *
 * <p>Why an OS lock and not a PID file: the kernel releases it when the process dies, even on
 * SIGKILL, so a crashed node never needs manual cleanup. The lock file itself is never deleted;
 * deleting it would let a second process lock a new inode while the first still runs.
 *
 * <p>Thread-safety: {@link #close()} is idempotent and may be called from any thread.
 */
public final class DataDirectoryLock implements AutoCloseable {
  public static final String LOCK_FILE_NAME = "LOCK";

  private final Path directory;
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(Path directory, FileChannel channel, FileLock lock) {
    this.directory = directory;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * Creates {@code dir} if needed and locks it.
   *
   * @throws DataDirectoryLockedException if another process or another holder in this JVM has it
   * @throws IOException if the directory or lock file cannot be created
   */
  public static DataDirectoryLock acquire(Path dir) throws IOException {
    var directory = dir.toAbsolutePath().normalize();
    Files.createDirectories(directory);
    var lockFile = directory.resolve(LOCK_FILE_NAME);
    var channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      // The JVM tracks its own locks: a second open in the same process lands here.
      channel.close();
      throw new DataDirectoryLockedException(directory, lockFile);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      channel.close();
      throw new DataDirectoryLockedException(directory, lockFile);
    }
    return new DataDirectoryLock(directory, channel, lock);
  }

  public Path directory() {
    return directory;
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (!channel.isOpen()) {
        return;
      }
      try {
        lock.release();
      } finally {
        channel.close();
      }
    }
  }
}
