package dev.hourglass.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataDirectoryLockTest {
  @TempDir Path dir;
  @TempDir Path scratch;

  private String expectedMessage() {
    var abs = dir.toAbsolutePath().normalize();
    return "data directory %s is in use by another Hourglass process (lock file %s held); stop it or choose another --data-dir"
        .formatted(abs, abs.resolve("LOCK"));
  }

  @Test
  void secondOpenInTheSameProcessFailsUntilTheFirstCloses() throws Exception {
    var options = WalOptions.defaults(dir);
    try (var wal = SegmentedLog.open(options)) {
      assertThatThrownBy(() -> SegmentedLog.open(options))
          .isInstanceOf(DataDirectoryLockedException.class)
          .hasMessage(expectedMessage());
      assertThat(wal.append(new byte[] {1}).get()).isEqualTo(1L); // the first log is unaffected
    }
    try (var wal = SegmentedLog.open(options)) {
      assertThat(wal.lastLsn()).isEqualTo(1);
    }
  }

  @Test
  void openFailsWhileAnotherProcessHoldsTheLockAndSucceedsAfterItDies() throws Exception {
    try (var child =
        ChildProcess.start(
            LockHolderMain.class, scratch.resolve("stderr"), "hold", dir.toString())) {
      assertThat(child.awaitLine("LOCKED", 20_000)).as(child::describe).isEqualTo("LOCKED");
      assertThatThrownBy(() -> SegmentedLog.open(WalOptions.defaults(dir)))
          .isInstanceOf(DataDirectoryLockedException.class)
          .hasMessage(expectedMessage());
      child.killAndCollect();
    }
    // The kernel released the lock with the killed process: no stale-lock cleanup needed.
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      assertThat(wal.lastLsn()).isZero();
    }
  }

  @Test
  void anotherProcessIsLockedOutWhileThisOneHoldsTheLog() throws Exception {
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir));
        var child =
            ChildProcess.start(
                LockHolderMain.class, scratch.resolve("stderr"), "try", dir.toString())) {
      assertThat(child.waitForExit(20_000)).as(child::describe).isZero();
      assertThat(child.lines()).containsExactly("LOCKED_OUT " + expectedMessage());
      assertThat(wal.append(new byte[] {1}).get()).isEqualTo(1L);
    }
  }
}
