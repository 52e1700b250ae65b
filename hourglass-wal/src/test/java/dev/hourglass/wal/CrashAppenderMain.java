package dev.hourglass.wal;

import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Child process for CrashTest: appends from several threads with fsync=always and prints {@code ACK
 * <lsn> <sha256 prefix> END} to stdout (flushed) after each future completes, until it is killed.
 * Prints {@code READY <lastLsn>} after open.
 */
public final class CrashAppenderMain {
  private CrashAppenderMain() {}

  static String hash(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 16);
  }

  public static void main(String[] args) throws Exception {
    var dir = Path.of(args[0]);
    long seed = Long.parseLong(args[1]);
    int threads = Integer.parseInt(args[2]);
    var options = CrashTest.options(dir);
    var wal = SegmentedLog.open(options);
    System.out.println("READY " + wal.lastLsn());
    System.out.flush();
    for (int t = 0; t < threads; t++) {
      var random = new Random(seed * 31 + t);
      Thread.ofPlatform()
          .start(
              () -> {
                try {
                  while (true) {
                    // Mostly small records, sometimes large ones that span pages and cross segment
                    // rolls.
                    var record =
                        new byte
                            [random.nextInt(10) == 0
                                ? random.nextInt(20_000)
                                : random.nextInt(300)];
                    random.nextBytes(record);
                    long lsn = wal.append(record).get(30, TimeUnit.SECONDS);
                    var line = "ACK " + lsn + " " + hash(record) + " END";
                    synchronized (System.out) {
                      System.out.println(line);
                      System.out.flush();
                    }
                  }
                } catch (Exception e) {
                  e.printStackTrace();
                  System.exit(2);
                }
              });
    }
  }
}
