package dev.hourglass.bench.wal;

import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.SegmentedLog;
import dev.hourglass.wal.WalOptions;
import dev.hourglass.wal.WalStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * Group-commit throughput: W writer threads append fixed-size records to one log and wait for their
 * acknowledgements. Prints records/s, MB/s, records per fsync, append latency percentiles, and, for
 * reference, the raw fsync latency of the same disk measured in the same run.
 *
 * <p>Usage: {@code WalThroughputBench <writers> <records> <recordBytes> <fsync> [inflightPerWriter]
 * [dir]}, e.g. {@code 256 2000000 200 always}. With inflightPerWriter=1 (default) every writer
 * waits for each append before the next, like a request handler; larger windows model a pipelined
 * caller (the server's apply thread). Latency is measured from append() to the moment the writer
 * observes completion, so with windows > 1 it includes time the completion waited to be observed.
 */
public final class WalThroughputBench {
  /** Why: enough samples for a stable p99 of a ~0.3 ms operation, in well under a second. */
  private static final int RAW_FSYNC_SAMPLES = 2_000;

  private WalThroughputBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.err.println(
          "usage: WalThroughputBench <writers> <records> <recordBytes> <always|batch(5ms)|never> [inflightPerWriter] [platform|virtual] [dir]");
      System.exit(64);
    }
    int writers = Integer.parseInt(args[0]);
    int records = Integer.parseInt(args[1]);
    int recordBytes = Integer.parseInt(args[2]);
    var policy = FsyncPolicy.parse(args[3]);
    int inflight = args.length > 4 ? Integer.parseInt(args[4]) : 1;
    boolean virtual = args.length > 5 && args[5].equals("virtual");
    var parent = Path.of(args.length > 6 ? args[6] : System.getProperty("java.io.tmpdir"));
    var dir = Files.createTempDirectory(parent, "wal-bench-");
    try {
      System.out.printf(
          "machine: %d vCPUs, JDK %s (%s), dir=%s%n",
          Runtime.getRuntime().availableProcessors(),
          Runtime.version(),
          System.getProperty("java.vm.name"),
          dir);
      rawFsync(dir, recordBytes);
      // Warm-up on a throwaway log so JIT compilation does not land in the measurement.
      run(
          dir.resolve("warmup"),
          writers,
          Math.max(writers * inflight, records / 10),
          recordBytes,
          policy,
          inflight,
          virtual,
          false);
      run(dir.resolve("measured"), writers, records, recordBytes, policy, inflight, virtual, true);
    } finally {
      deleteTree(dir);
    }
  }

  private static void rawFsync(Path dir, int recordBytes) throws IOException {
    var file = dir.resolve("raw-fsync");
    var lat = new long[RAW_FSYNC_SAMPLES];
    try (var ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      var buf = ByteBuffer.allocateDirect(recordBytes);
      for (int i = -200; i < RAW_FSYNC_SAMPLES; i++) {
        buf.clear();
        long t0 = System.nanoTime();
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(false);
        if (i >= 0) {
          lat[i] = System.nanoTime() - t0;
        }
      }
    }
    Files.delete(file);
    Arrays.sort(lat);
    System.out.printf(
        "raw fsync (%d-byte append + force(false), %d samples): p50=%.3f ms p99=%.3f ms max=%.3f ms%n",
        recordBytes,
        RAW_FSYNC_SAMPLES,
        pct(lat, 0.50) / 1e6,
        pct(lat, 0.99) / 1e6,
        lat[lat.length - 1] / 1e6);
  }

  private static void run(
      Path dir,
      int writers,
      int records,
      int recordBytes,
      FsyncPolicy policy,
      int inflight,
      boolean virtual,
      boolean print)
      throws Exception {
    int perWriter = records / writers;
    var latencies = new long[writers][];
    var start = new CountDownLatch(1);
    var threads = new Thread[writers];
    WalStats stats;
    long elapsed;
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir).withFsync(policy))) {
      for (int w = 0; w < writers; w++) {
        int id = w;
        var record = new byte[recordBytes];
        new Random(id).nextBytes(record);
        var builder =
            virtual
                ? Thread.ofVirtual().name("writer-" + w)
                : Thread.ofPlatform().name("writer-" + w);
        threads[w] =
            builder.start(
                () -> {
                  latencies[id] = write(wal, record, perWriter, inflight, start);
                });
      }
      long t0 = System.nanoTime();
      start.countDown();
      for (var t : threads) {
        t.join();
      }
      elapsed = System.nanoTime() - t0;
      stats = wal.stats();
    }
    if (!print) {
      return;
    }
    var all = Arrays.stream(latencies).flatMapToLong(Arrays::stream).sorted().toArray();
    long total = (long) perWriter * writers;
    double seconds = elapsed / 1e9;
    System.out.printf(
        "writers=%d (%s threads) inflightPerWriter=%d records=%d recordBytes=%d fsync=%s%n",
        writers, virtual ? "virtual" : "platform", inflight, total, recordBytes, policy);
    System.out.printf(
        "  throughput: %,.0f records/s, %.1f MB/s payload, elapsed %.2f s%n",
        total / seconds, total * (double) recordBytes / seconds / 1e6, seconds);
    System.out.printf(
        "  group commit: %d fsyncs, %d batches, %.1f records/fsync, %.1f records/batch%n",
        stats.fsyncs(),
        stats.batches(),
        stats.records() / (double) Math.max(1, stats.fsyncs()),
        stats.records() / (double) Math.max(1, stats.batches()));
    System.out.printf(
        "  append latency: p50=%.3f ms p99=%.3f ms p99.9=%.3f ms max=%.3f ms%n",
        pct(all, 0.50) / 1e6,
        pct(all, 0.99) / 1e6,
        pct(all, 0.999) / 1e6,
        all[all.length - 1] / 1e6);
  }

  private static long[] write(
      SegmentedLog wal, byte[] record, int count, int inflight, CountDownLatch start) {
    var lat = new long[count];
    var window = new ArrayDeque<CompletableFuture<Long>>(inflight);
    var started = new long[inflight];
    try {
      start.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new long[0];
    }
    int done = 0;
    for (int i = 0; i < count; i++) {
      if (window.size() == inflight) {
        window.removeFirst().join();
        lat[done] = System.nanoTime() - started[done % inflight];
        done++;
      }
      started[i % inflight] = System.nanoTime();
      window.addLast(wal.append(record));
    }
    while (!window.isEmpty()) {
      window.removeFirst().join();
      lat[done] = System.nanoTime() - started[done % inflight];
      done++;
    }
    return lat;
  }

  private static double pct(long[] sorted, double p) {
    return sorted.length == 0
        ? 0
        : sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (var p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
