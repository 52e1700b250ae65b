package dev.hourglass.bench.durable;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.view.JobState;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import dev.hourglass.wal.durable.DurableOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Time from start to serving, for two data directories written beforehand:
 *
 * <ol>
 *   <li>{@code replay}: a log of N commands (submits, leases, completions in equal parts) and no
 *       snapshot but the empty one, so recovery replays every command;
 *   <li>{@code snapshot}: M pending jobs in a snapshot plus a tail of T commands in the log.
 * </ol>
 *
 * <p>Run: {@code java -Xmx20g -XX:+UseParallelGC -cp
 * 'hourglass-bench/target/*:hourglass-bench/target/lib/*' dev.hourglass.bench.durable.RecoveryBench
 * 1000000 10000000 100000}
 */
public final class RecoveryBench {
  private static final int BATCH = 10_000;

  private RecoveryBench() {}

  public static void main(String[] args) throws IOException {
    int replayCommands = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int pendingJobs = args.length > 1 ? Integer.parseInt(args[1]) : 10_000_000;
    int tail = args.length > 2 ? Integer.parseInt(args[2]) : 100_000;
    Path root = Files.createTempDirectory("hourglass-recovery-bench");
    try {
      replay(root.resolve("replay"), replayCommands);
      snapshotPlusTail(root.resolve("snapshot"), pendingJobs, tail);
    } finally {
      deleteTree(root);
    }
  }

  private static void replay(Path dir, int commands) throws IOException {
    DurableOptions options = options(dir, Long.MAX_VALUE);
    try (DurableEngine d = DurableEngine.open(options)) {
      List<Command> batch = new ArrayList<>(BATCH);
      long now = 1_700_000_000_000L;
      for (int i = 0; i < commands / 3; i++) {
        String id = "job-" + i;
        batch.add(new Command.SubmitJob(now, JobSpec.of(id, "send-email", "{\"to\": \"a@b.c\"}")));
        batch.add(new Command.LeaseJobs(now, "w" + (i % 8), 1, List.of(), 30_000));
        batch.add(new Command.CompleteJob(now, id, "w" + (i % 8), 1, null));
        if (batch.size() >= BATCH) {
          d.applyAll(batch);
          batch.clear();
        }
      }
      if (!batch.isEmpty()) {
        d.applyAll(batch);
      }
    }
    long bytes = sizeOf(dir);
    long start = System.nanoTime();
    try (DurableEngine d = DurableEngine.open(options)) {
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "replay: %,d commands (%,d MB of log) recovered and serving in %.2f s"
              + " (%,.0f commands/s); succeeded=%,d%n",
          d.recovery().recordsReplayed(),
          bytes >> 20,
          seconds,
          d.recovery().recordsReplayed() / seconds,
          d.queries().count(JobState.SUCCEEDED));
    }
  }

  private static void snapshotPlusTail(Path dir, int pending, int tail) throws IOException {
    DurableOptions options = options(dir, Long.MAX_VALUE);
    long now = 1_700_000_000_000L;
    try (DurableEngine d = DurableEngine.open(options)) {
      List<Command> batch = new ArrayList<>(BATCH);
      for (int i = 0; i < pending; i++) {
        batch.add(new Command.SubmitJob(now, JobSpec.of("p-" + i, "send-email", null)));
        if (batch.size() >= BATCH) {
          d.applyAll(batch);
          batch.clear();
        }
      }
      long t0 = System.nanoTime();
      d.snapshot();
      System.out.printf(
          "snapshot: %,d pending jobs written in %.2f s%n",
          pending, (System.nanoTime() - t0) / 1e9);
      for (int i = 0; i < tail; i++) {
        batch.add(new Command.SubmitJob(now, JobSpec.of("t-" + i, "send-email", null)));
        if (batch.size() >= BATCH) {
          d.applyAll(batch);
          batch.clear();
        }
      }
      if (!batch.isEmpty()) {
        d.applyAll(batch);
      }
    }
    System.gc();
    long bytes = sizeOf(dir);
    long start = System.nanoTime();
    try (DurableEngine d = DurableEngine.open(options)) {
      double seconds = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "snapshot+tail: %,d pending jobs (%,d MB on disk) from snapshot + %,d"
              + " log records, serving in %.2f s%n",
          d.queries().count(JobState.READY), bytes >> 20, d.recovery().recordsReplayed(), seconds);
    }
  }

  private static DurableOptions options(Path dir, long snapshotEvery) {
    // fsync "never" only to write the inputs quickly; recovery reads the same files either way.
    return DurableOptions.of(dir, EngineConfig.DEFAULTS, new FsyncPolicy.NeverUnsafeForTests())
        .withSnapshotEveryRecords(snapshotEvery);
  }

  private static long sizeOf(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
