package dev.hourglass.bench.peers;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.runtime.EngineLoop;
import dev.hourglass.runtime.EngineLoopListener;
import dev.hourglass.runtime.LocalBackend;
import dev.hourglass.runtime.LoopLimits;
import dev.hourglass.runtime.TimeSource;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import dev.hourglass.wal.durable.DurableOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Hourglass embedded the way the peers are: a {@link DurableEngine} (write-ahead log, fsync before
 * anything is acknowledged) driven by the server's own {@link EngineLoop} (one apply thread, group
 * commit, ticks, parked long polls), and an in-JVM worker with {@code threads} execution threads.
 *
 * <p>Implementation notes. This is the server minus HTTP: the same loop, so what it measures is
 * what the server runs. Submits, lease requests and completions go to the loop, which hands all the
 * commands of a turn to one {@link DurableEngine#applyAll} (one fsync: group commit), then answers;
 * it proposes {@code Tick(now)} once the engine's next wake-up has passed, so delayed jobs become
 * ready on time, and parks a lease that grants nothing until the engine says it would grant (a long
 * poll). The worker is the SDK's: it leases as many jobs as it has free slots (one lease in
 * flight), and the lease's answer hands them, on the loop's thread as it completes, to a fixed pool
 * of {@code threads} platform threads, and each finished job's completion goes to the loop, where
 * completions are batched into the next group commit. Slots are {@value #PREFETCH_PER_THREAD} per
 * thread: the worker may hold that many leased jobs per thread. Why so many: Hourglass is built to
 * batch (one lease of up to 1,000 jobs, one group commit for many completions), and a lease is an
 * in-memory reservation, not a row lock; with 3 per thread (the fetch limit db-scheduler uses by
 * default) every group commit carried about 24 jobs and the fsync per turn, not the engine, set the
 * pace (measured: about 10,000 jobs/s on a loaded machine).
 *
 * <p>Thread-safety: {@link #submit} may be called from any thread; the engine is confined to the
 * loop's thread.
 */
final class HourglassEmbedded implements Contender {
  static final int PREFETCH_PER_THREAD = 64;
  private static final String WORKER = "bench-worker";
  private static final String TASK = "noop";

  /** Why a minute: far above any no-op job's run time, so no lease expires in a benchmark. */
  private static final long LEASE_MILLIS = 60_000;

  /** A parked lease is answered empty after this, like a long poll's timeout. */
  private static final long LEASE_WAIT_MILLIS = 1_000;

  /**
   * The server's loop bounds, but with room for every completion the worker can have in flight (one
   * per slot) and 20,000 items per group commit, as this adapter had before it used the loop.
   */
  private static final LoopLimits LIMITS =
      new LoopLimits(
          1 << 20,
          20_000,
          LoopLimits.DEFAULTS.applyBatchBytesMax(),
          1,
          Duration.ofSeconds(60),
          LoopLimits.DEFAULTS.tickSpacingMin(),
          Duration.ofMillis(100));

  /** Approximate log bytes of one job in a submit, for the loop's per-commit byte bound. */
  private static final long JOB_BYTES = 64;

  /** Group commit times for the stage report ({@code --stages}); nothing is kept without it. */
  private static final EngineLoopListener COMMIT_TIMES =
      new EngineLoopListener() {
        @Override
        public void batchApplied(int commands, long nanos) {
          Recorder.current.commitTook(nanos);
        }
      };

  private final TimeSource time = TimeSource.system();
  private DurableEngine durable;
  private LocalBackend backend;
  private EngineLoop loop;
  private final AtomicBoolean leasing = new AtomicBoolean();
  private ExecutorService pool;
  private Semaphore slots;
  private int threads;
  private volatile boolean running;
  private volatile Throwable failure;

  @Override
  public String name() {
    return "Hourglass embedded (DurableEngine, fsync)";
  }

  @Override
  public String durability() {
    return "write-ahead log, fsync (fdatasync) before every acknowledgement, group commit";
  }

  @Override
  public String settings(int threads) {
    return "the server's engine loop, group commit per turn; worker leases up to "
        + PREFETCH_PER_THREAD
        + " x threads jobs ahead, completions batched; lease "
        + LEASE_MILLIS / 1000
        + " s";
  }

  @Override
  public void open(Path dir, int threads) throws Exception {
    this.threads = threads;
    durable =
        DurableEngine.open(DurableOptions.of(dir, EngineConfig.DEFAULTS, new FsyncPolicy.Always()));
    backend = new LocalBackend(durable);
    loop = new EngineLoop(backend, LIMITS, COMMIT_TIMES, time);
    loop.start();
    submitCommand(
            new Command.RegisterWorker(
                time.wallMillis(),
                WORKER,
                threads * PREFETCH_PER_THREAD,
                List.of(),
                10 * LEASE_MILLIS),
            0)
        .get();
  }

  @Override
  public void start() {
    running = true;
    slots = new Semaphore(threads * PREFETCH_PER_THREAD);
    pool =
        Executors.newFixedThreadPool(
            threads, Thread.ofPlatform().name("hourglass-bench-run-", 0).factory());
    leaseIfIdle();
  }

  @Override
  public void submit(String tag, int first, int count, long[] dueMillis) throws Exception {
    List<CompletableFuture<Void>> acks = new ArrayList<>();
    List<JobSpec> chunk = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      JobSpec spec = JobSpec.of(tag + "-" + (first + i), TASK, null);
      if (dueMillis != null) {
        spec = spec.withRunAt(dueMillis[i]);
      }
      chunk.add(spec);
      if (chunk.size() == EngineConfig.BATCH_SIZE_MAX || i == count - 1) {
        long now = time.wallMillis();
        Command c =
            chunk.size() == 1
                ? new Command.SubmitJob(now, chunk.get(0))
                : new Command.SubmitJobs(now, chunk);
        acks.add(submitCommand(c, chunk.size() * JOB_BYTES));
        chunk = new ArrayList<>();
      }
    }
    for (var ack : acks) {
      ack.get();
    }
  }

  /** Applies {@code c}; a rejected command is a bug in this adapter and fails the future. */
  private CompletableFuture<Void> submitCommand(Command c, long bytes) {
    checkHealthy();
    return loop.write(
        c,
        bytes,
        (outcome, queries) -> {
          if (outcome instanceof Outcome.Rejected r) {
            throw new IllegalStateException(
                "engine rejected "
                    + c.getClass().getSimpleName()
                    + ": "
                    + r.code()
                    + " "
                    + r.detail());
          }
          return null;
        });
  }

  private void checkHealthy() {
    if (failure != null) {
      throw new IllegalStateException("the engine loop stopped: " + failure, failure);
    }
  }

  /**
   * Leases into the free slots when no lease is in flight. The lease's answer is handled where it
   * completes (the loop's thread, right after the group commit): it hands each job to the pool and
   * leases again, so a granted job crosses one thread hand-off, loop to pool thread, instead of two
   * through a dispatcher thread that blocked on the answer. Never blocks.
   */
  private void leaseIfIdle() {
    while (running && slots.availablePermits() > 0 && leasing.compareAndSet(false, true)) {
      int free = slots.drainPermits();
      if (free == 0) {
        leasing.set(false);
        continue; // a job took the permits meanwhile; check again
      }
      int max = Math.min(EngineConfig.LEASE_BATCH_MAX, free);
      slots.release(free - max);
      try {
        loop.lease(WORKER, max, List.of(), List.of(), LEASE_MILLIS, LEASE_WAIT_MILLIS)
            .whenComplete((got, e) -> leased(max, got, e));
      } catch (RuntimeException e) {
        leased(max, null, e);
      }
      return;
    }
  }

  private void leased(int max, List<EngineLoop.Assignment> got, Throwable e) {
    if (e != null) {
      slots.release(max);
      leasing.set(false);
      if (running) {
        failure = e;
      }
      return;
    }
    slots.release(max - got.size());
    for (EngineLoop.Assignment a : got) {
      Recorder.current.reached(Stages.Step.GRANTED, a.jobId());
      pool.execute(
          () -> {
            Recorder.current.ran(a.jobId());
            complete(a);
            slots.release();
            leaseIfIdle();
          });
    }
    leasing.set(false);
    leaseIfIdle();
  }

  /** Hands the completion to the loop without waiting: it joins the next group commit. */
  private void complete(EngineLoop.Assignment a) {
    try {
      submitCommand(
              new Command.CompleteJob(time.wallMillis(), a.jobId(), WORKER, a.generation(), null),
              0)
          .whenComplete(
              (ok, e) -> {
                if (e != null && running) {
                  failure = e;
                }
              });
    } catch (RuntimeException e) {
      if (running) {
        failure = e;
      }
    }
  }

  /** Heap used by the engine is measured by the scale workload through this. */
  DurableEngine durableForScale() {
    return durable;
  }

  @Override
  public void close() throws Exception {
    running = false;
    if (loop != null) {
      loop.releaseParkedLeases();
    }
    if (pool != null) {
      pool.shutdownNow();
      pool.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (loop != null) {
      loop.close();
    }
    if (backend != null) {
      backend.close();
    }
    checkHealthy();
  }
}
