package dev.hourglass.wal;

import java.nio.file.Path;

/**
 * Child process for DataDirectoryLockTest. Mode "hold": lock the directory, print LOCKED, wait for
 * stdin to close. Mode "try": try to lock, print LOCKED_OUT plus the message, or LOCKED.
 */
public final class LockHolderMain {
  private LockHolderMain() {}

  public static void main(String[] args) throws Exception {
    var dir = Path.of(args[1]);
    if (args[0].equals("hold")) {
      try (var lock = DataDirectoryLock.acquire(dir)) {
        System.out.println(
            "LOCKED"
                + (lock.directory().equals(dir.toAbsolutePath().normalize()) ? "" : " elsewhere"));
        System.out.flush();
        System.in.read(); // killed or stdin closed by the parent
      }
      return;
    }
    try (var lock = DataDirectoryLock.acquire(dir)) {
      System.out.println("LOCKED " + lock.directory());
    } catch (DataDirectoryLockedException e) {
      System.out.println("LOCKED_OUT " + e.getMessage());
    }
    System.out.flush();
  }
}
