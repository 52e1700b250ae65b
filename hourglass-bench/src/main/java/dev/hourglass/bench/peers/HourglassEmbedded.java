package dev.hourglass.bench.peers;

import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.wal.FsyncPolicy;
import dev.hourglass.wal.durable.DurableEngine;
import dev.hourglass.wal.durable.DurableOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Hourglass embedded the way the peers are: a {@link DurableEngine} (write-ahead log, fsync
 * before anything is acknowledged) owned by one apply thread, and an in-JVM worker with {@code
 * threads} execution threads.
 *
 * <p>Implementation notes. The shape is the server's, minus HTTP. The apply thread drains
 * everything queued for it (submits, lease requests, completions), hands all their commands to one
 * {@link DurableEngine#applyAll} (one fsync: group commit), then answers. Before a turn's commands
 * it proposes {@code Tick(now)} once the engine's next wake-up has passed, and it sleeps on its
 * inbox only until that wake-up, so delayed jobs become ready on time. A lease that grants nothing
 * is parked and retried once jobs are ready (a long poll). The worker is the SDK's: a dispatcher
 * leases as many jobs as it has free slots (one lease in flight), runs them on a fixed pool of
 * {@code threads} platform threads, and each finished job's completion goes back to the apply
 * thread, where completions are batched into the next group commit. Slots are {@value
 * #PREFETCH_PER_THREAD} per thread: the worker may hold that many leased jobs per thread. Why so
 * many: Hourglass is built to batch (one lease of up to 1,000 jobs, one group commit for many
 * completions), and a lease is an in-memory reservation, not a row lock; with 3 per thread (the
 * fetch limit db-scheduler uses by default) every group commit carried about 24 jobs and the fsync
 * per turn, not the engine, set the pace (measured: about 10,000 jobs/s on a loaded machine).
 *
 * <p>Thread-safety: {@link #submit} may be called from any thread; the engine is confined to the
 * apply thread.
 */
final class HourglassEmbedded implements Contender {
  static final int PREFETCH_PER_THREAD = 64;
  private static final String WORKER = "bench-worker";
  private static final String TASK = "noop";
  /** Why a minute: far above any no-op job's run time, so no lease expires in a benchmark. */
  private static final long LEASE_MILLIS = 60_000;
  /** A parked lease is answered empty after this, like a long poll's timeout. */
  private static final long LEASE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
  /** Items taken from the inbox per turn. Why: bounds one group commit's latency and memory. */
  private static final int TURN_ITEMS_MAX = 20_000;

  private sealed interface Item permits Submit, Lease, Done, Stop {}

  private record Submit(Command command, CompletableFuture<Void> reply) implements Item {}

  private record Lease(int max, long deadlineNanos, CompletableFuture<List<LeaseGranted>> reply)
      implements Item {}

  private record Done(String jobId, int generation) implements Item {}

  private record Stop() implements Item {}

  private final LinkedBlockingQueue<Item> inbox = new LinkedBlockingQueue<>();
  private DurableEngine durable;
  private Thread applyThread;
  private Thread dispatcher;
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
    return "one apply thread, group commit per turn; worker leases up to " + PREFETCH_PER_THREAD
        + " x threads jobs ahead, completions batched; lease " + LEASE_MILLIS / 1000 + " s";
  }

  @Override
  public void open(Path dir, int threads) throws Exception {
    this.threads = threads;
    durable = DurableEngine.open(
        DurableOptions.of(dir, EngineConfig.DEFAULTS, new FsyncPolicy.Always()));
    applyThread = Thread.ofPlatform().name("hourglass-bench-apply").start(this::applyLoop);
    long now = System.currentTimeMillis();
    submitCommand(new Command.RegisterWorker(now, WORKER, threads * PREFETCH_PER_THREAD,
        List.of(), 10 * LEASE_MILLIS)).get();
  }

  @Override
  public void start() {
    running = true;
    slots = new Semaphore(threads * PREFETCH_PER_THREAD);
    pool = Executors.newFixedThreadPool(threads, Thread.ofPlatform().name("hourglass-bench-run-", 0)
        .factory());
    dispatcher = Thread.ofPlatform().name("hourglass-bench-dispatch").start(this::dispatch);
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
        long now = System.currentTimeMillis();
        Command c = chunk.size() == 1 ? new Command.SubmitJob(now, chunk.get(0))
            : new Command.SubmitJobs(now, chunk);
        acks.add(submitCommand(c));
        chunk = new ArrayList<>();
      }
    }
    for (var ack : acks) {
      ack.get();
    }
  }

  private CompletableFuture<Void> submitCommand(Command c) {
    checkHealthy();
    var s = new Submit(c, new CompletableFuture<>());
    inbox.add(s);
    return s.reply();
  }

  private void checkHealthy() {
    if (failure != null) {
      throw new IllegalStateException("the apply loop stopped: " + failure, failure);
    }
  }

  /** The worker's poll loop: lease into free slots, run on the pool, release slots. */
  private void dispatch() {
    try {
      while (running) {
        slots.acquire();
        int max = 1 + slots.drainPermits();
        var lease = new Lease(max, System.nanoTime() + LEASE_WAIT_NANOS, new CompletableFuture<>());
        inbox.add(lease);
        List<LeaseGranted> got = lease.reply().get();
        slots.release(max - got.size());
        for (LeaseGranted g : got) {
          pool.execute(() -> {
            Recorder.current.ran(g.jobId());
            inbox.add(new Done(g.jobId(), g.generation()));
            slots.release();
          });
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      if (running) {
        failure = e;
      }
    }
  }

  private void applyLoop() {
    List<Item> items = new ArrayList<>();
    Lease parked = null;
    boolean retryParked = false;
    try {
      while (true) {
        long now = System.currentTimeMillis();
        long wake = durable.queries().nextWakeupMillis();
        long waitMillis = retryParked ? 0 : Math.min(100, wake - now);
        if (parked != null) {
          waitMillis = Math.min(waitMillis, (parked.deadlineNanos() - System.nanoTime()) / 1_000_000);
        }
        items.clear();
        Item first = waitMillis <= 0 ? inbox.poll() : inbox.poll(waitMillis, TimeUnit.MILLISECONDS);
        if (first != null) {
          items.add(first);
          inbox.drainTo(items, TURN_ITEMS_MAX);
        }
        now = System.currentTimeMillis();
        List<Command> commands = new ArrayList<>(items.size() + 2);
        if (now >= wake) {
          commands.add(new Command.Tick(now));
        }
        int leaseAt = -1;
        Lease lease = null;
        boolean stop = false;
        for (Item item : items) {
          switch (item) {
            case Submit s -> commands.add(s.command());
            case Done d -> commands.add(new Command.CompleteJob(now, d.jobId(), WORKER,
                d.generation(), null));
            case Lease l -> lease = l;
            case Stop st -> stop = true;
          }
        }
        if (lease == null && parked != null
            && (retryParked || System.nanoTime() >= parked.deadlineNanos())) {
          lease = parked;
          parked = null;
        }
        if (lease != null) {
          leaseAt = commands.size();
          commands.add(new Command.LeaseJobs(now, WORKER, lease.max(), List.of(), LEASE_MILLIS));
        }
        List<Outcome> outcomes = commands.isEmpty() ? List.of() : durable.applyAll(commands);
        answer(items, commands, outcomes);
        if (lease != null) {
          List<LeaseGranted> granted = granted(outcomes.get(leaseAt));
          if (granted.isEmpty() && System.nanoTime() < lease.deadlineNanos() && !stop) {
            parked = lease;
          } else {
            lease.reply().complete(granted);
          }
        }
        retryParked = parked != null && durable.queries().readyCount() > 0;
        if (stop) {
          if (parked != null) {
            parked.reply().complete(List.of());
          }
          return;
        }
      }
    } catch (Throwable t) {
      failure = t;
      for (Item item : items) {
        if (item instanceof Submit s) {
          s.reply().completeExceptionally(t);
        } else if (item instanceof Lease l) {
          l.reply().completeExceptionally(t);
        }
      }
      if (parked != null) {
        parked.reply().completeExceptionally(t);
      }
    }
  }

  /** Completes submit futures; a rejected submit or completion is a bug in this adapter. */
  private static void answer(List<Item> items, List<Command> commands, List<Outcome> outcomes) {
    for (int i = 0; i < commands.size(); i++) {
      if (outcomes.get(i) instanceof Outcome.Rejected r && !(commands.get(i) instanceof Command.Tick)) {
        throw new IllegalStateException("engine rejected " + commands.get(i).getClass()
            .getSimpleName() + ": " + r.code() + " " + r.detail());
      }
    }
    for (Item item : items) {
      if (item instanceof Submit s) {
        s.reply().complete(null);
      }
    }
  }

  private static List<LeaseGranted> granted(Outcome outcome) {
    List<LeaseGranted> out = new ArrayList<>();
    if (outcome instanceof Applied a) {
      for (Event e : a.events()) {
        if (e instanceof LeaseGranted g) {
          out.add(g);
        }
      }
    }
    return out;
  }

  /** Heap used by the engine is measured by the scale workload through this. */
  DurableEngine durableForScale() {
    return durable;
  }

  @Override
  public void close() throws Exception {
    running = false;
    if (dispatcher != null) {
      dispatcher.interrupt();
      dispatcher.join(5_000);
    }
    if (pool != null) {
      pool.shutdownNow();
      pool.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (applyThread != null) {
      inbox.add(new Stop());
      applyThread.join(10_000);
    }
    if (durable != null) {
      durable.close();
    }
    checkHealthy();
  }
}
