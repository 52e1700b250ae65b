package dev.hourglass.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a real process appending with fsync=always is SIGKILLed at random moments, twenty times on
 * the same directory. After each kill the log must open, hold every acknowledged record with
 * identical bytes under its LSN, and have contiguous LSNs. Replay a failure with {@code
 * -Dwal.crash.seed=<seed>} (printed on every run).
 */
@Tag("crash")
class CrashTest {
  private static final Pattern ACK = Pattern.compile("ACK (\\d+) ([0-9a-f]{32}) END");
  private static final int ITERATIONS = 20;

  @TempDir Path dir;
  @TempDir Path scratch;

  /** Small segments so kills also land during segment rolls. */
  static WalOptions options(Path dir) {
    return WalOptions.defaults(dir).withSegmentBytesMax(256 << 10);
  }

  @Test
  void everyAcknowledgedRecordSurvivesRepeatedSigkill() throws Exception {
    long seed = Long.getLong("wal.crash.seed", System.nanoTime());
    System.out.println("CrashTest seed=" + seed + " (replay with -Dwal.crash.seed=" + seed + ")");
    var random = new Random(seed);
    Map<Long, String> acknowledged = new HashMap<>();
    long lastLsn = 0;
    int truncations = 0;
    for (int iteration = 0; iteration < ITERATIONS; iteration++) {
      var context = "seed=%d iteration=%d".formatted(seed, iteration);
      try (var child =
          ChildProcess.start(
              CrashAppenderMain.class,
              scratch.resolve("stderr-" + iteration),
              dir.toString(),
              Long.toString(seed + iteration),
              "4")) {
        var ready = child.awaitLine("READY", 20_000);
        assertThat(ready).as(() -> context + " " + child.describe()).isEqualTo("READY " + lastLsn);
        // Choosing the kill moment, not synchronizing: sleeping is the point here.
        Thread.sleep(20 + random.nextInt(250));
        for (var line : child.killAndCollect()) {
          var m = ACK.matcher(line);
          if (!m.matches()) {
            continue; // READY, or the last line cut short by the kill
          }
          long lsn = Long.parseLong(m.group(1));
          var previous = acknowledged.putIfAbsent(lsn, m.group(2));
          assertThat(previous)
              .as("%s lsn %d acknowledged twice with different bytes", context, lsn)
              .isIn(null, m.group(2));
        }
      }
      try (var wal = SegmentedLog.open(options(dir))) {
        truncations += wal.recoveryReport().truncations().size();
        var expected = new long[] {1};
        var found = new HashMap<Long, String>();
        wal.replay(
            0,
            (lsn, bytes) -> {
              assertThat(lsn).as(context).isEqualTo(expected[0]++);
              found.put(lsn, hashUnchecked(bytes));
            });
        lastLsn = wal.lastLsn();
        assertThat(expected[0] - 1).as(context).isEqualTo(lastLsn);
        for (var e : acknowledged.entrySet()) {
          assertThat(found.get(e.getKey()))
              .as("%s acknowledged lsn %d", context, e.getKey())
              .isEqualTo(e.getValue());
        }
      }
    }
    System.out.println(
        "CrashTest acknowledged="
            + acknowledged.size()
            + " lastLsn="
            + lastLsn
            + " tornTails="
            + truncations);
    assertThat(acknowledged).as("the children made progress").hasSizeGreaterThan(ITERATIONS);
  }

  private static String hashUnchecked(byte[] bytes) {
    try {
      return CrashAppenderMain.hash(bytes);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
