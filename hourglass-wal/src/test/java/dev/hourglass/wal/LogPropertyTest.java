package dev.hourglass.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random operation sequences against a list model: appends of random sizes (single and
 * batched), reopen at random points (sometimes after a torn partial frame is added to the tail),
 * compaction, and replay from random LSNs. Replay must always equal the model. Replay one seed with
 * {@code -Dwal.property.seed=<seed>}.
 */
class LogPropertyTest {
  @TempDir Path root;

  @Test
  void replayAlwaysEqualsWhatWasAppended() throws Exception {
    var fixed = Long.getLong("wal.property.seed");
    long base = fixed != null ? fixed : System.nanoTime();
    int runs = fixed != null ? 1 : 12;
    System.out.println(
        "LogPropertyTest base seed=" + base + " (replay with -Dwal.property.seed=<seed>)");
    for (int i = 0; i < runs; i++) {
      long seed = base + i;
      try {
        runOnce(seed, root.resolve("run" + i));
      } catch (AssertionError | Exception e) {
        throw new AssertionError("failed with -Dwal.property.seed=" + seed + ": " + e, e);
      }
    }
  }

  private void runOnce(long seed, Path dir) throws Exception {
    var random = new Random(seed);
    var options =
        WalOptions.defaults(dir)
            .withSegmentBytesMax(WalOptions.SEGMENT_BYTES_MIN << random.nextInt(5))
            .withRecordBytesMax(8_192)
            .withFsync(
                random.nextBoolean()
                    ? new FsyncPolicy.Always()
                    : new FsyncPolicy.NeverUnsafeForTests());
    var model = new ArrayList<byte[]>(); // index i holds lsn i + 1
    long compactedThrough = 0;
    var wal = SegmentedLog.open(options);
    try {
      for (int step = 0; step < 300; step++) {
        int op = random.nextInt(100);
        if (op < 60) {
          var r = randomRecord(random);
          model.add(r);
          assertThat(wal.append(r).get()).isEqualTo(model.size());
        } else if (op < 75) {
          var batch = new ArrayList<byte[]>();
          for (int n = 1 + random.nextInt(20); n > 0; n--) {
            batch.add(randomRecord(random));
          }
          model.addAll(batch);
          assertThat(wal.appendAll(batch).get()).isEqualTo(model.size());
        } else if (op < 85) {
          wal.close();
          if (random.nextInt(3) == 0) {
            tearTail(random, WalTesting.lastSegment(dir));
          }
          wal = SegmentedLog.open(options);
          assertThat(wal.lastLsn()).isEqualTo(model.size());
        } else if (op < 90) {
          long upTo = model.isEmpty() ? 0 : random.nextInt(model.size() + 1);
          wal.deleteSegmentsBefore(upTo);
          compactedThrough = Math.max(compactedThrough, wal.firstLsn() - 1);
        } else {
          long after =
              compactedThrough
                  + (model.size() > compactedThrough
                      ? random.nextInt((int) (model.size() - compactedThrough) + 1)
                      : 0);
          assertReplayEquals(wal, model, after);
        }
      }
      assertReplayEquals(wal, model, compactedThrough);
    } finally {
      wal.close();
    }
  }

  private static byte[] randomRecord(Random random) {
    int size =
        switch (random.nextInt(10)) {
          case 0 -> 0;
          case 1 -> random.nextInt(8_193);
          default -> random.nextInt(200);
        };
    var r = new byte[size];
    random.nextBytes(r);
    return r;
  }

  /** Appends what a crash mid-write leaves: a prefix of a frame, zeros, or junk. */
  private static void tearTail(Random random, Path segment) throws Exception {
    var tail = new byte[1 + random.nextInt(64)];
    switch (random.nextInt(3)) {
      case 0 -> {} // zeros
      case 1 -> random.nextBytes(tail);
      default -> {
        var header = java.nio.ByteBuffer.wrap(tail.length >= 17 ? tail : new byte[17]);
        header
            .putInt(0, 500)
            .put(8, SegmentFormat.RECORD_VERSION); // a length promising more bytes than follow
        tail = java.util.Arrays.copyOf(header.array(), tail.length);
      }
    }
    Files.write(segment, tail, StandardOpenOption.APPEND);
  }

  private static void assertReplayEquals(SegmentedLog wal, List<byte[]> model, long after)
      throws Exception {
    var entries = WalTesting.replayAll(wal, after);
    assertThat(entries).hasSize((int) (model.size() - after));
    for (var e : entries) {
      assertThat(e.bytes()).as("lsn %d", e.lsn()).isEqualTo(model.get((int) e.lsn() - 1));
    }
  }
}
