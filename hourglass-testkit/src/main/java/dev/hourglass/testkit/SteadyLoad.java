package dev.hourglass.testkit;

import dev.hourglass.cluster.ClusterClient;
import dev.hourglass.cluster.ReplyCodec.Committed;
import dev.hourglass.core.command.Command.CompleteJob;
import dev.hourglass.core.command.Command.LeaseJobs;
import dev.hourglass.core.command.Command.RegisterWorker;
import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.event.ErrorCode;
import dev.hourglass.core.event.Event;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.event.Outcome.Rejected;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady submit / lease / complete workload through a {@link ClusterClient}, one blocking
 * request at a time, that records a history: which submits were acknowledged, every lease grant
 * with the term it committed in, and every acknowledged completion. Tests check their invariants
 * against that history. Runs on the thread that calls {@link #run}; the recorded history and
 * counters may be read from any thread.
 */
public final class SteadyLoad implements Runnable {
  /** Jobs per submit, and the most leased per lease request. */
  public static final int BATCH = 4;
  /** Long enough that no lease expires during a test, so a second grant would be a bug. */
  public static final long LEASE_MILLIS = 120_000;
  public static final String WORKER = "w1";

  /**
   * One grant as the proposer saw it. The fencing token is the generation alone; the term the
   * grant committed in lets a test order grants made by different leaders.
   */
  public record Grant(String jobId, int generation, long term, long expiresAtMillis) {}

  private final ClusterClient client;
  private final String jobPrefix;
  private volatile boolean running = true;
  private long seq;

  public final ConcurrentLinkedQueue<String> ackedJobs = new ConcurrentLinkedQueue<>();
  public final ConcurrentLinkedQueue<Grant> grants = new ConcurrentLinkedQueue<>();
  public final Map<String, Integer> completions = new ConcurrentHashMap<>();
  public final AtomicLong acks = new AtomicLong();
  public final AtomicLong failures = new AtomicLong();
  private volatile long lastAckNanos;
  private volatile String lastAckLeader;

  public SteadyLoad(ClusterClient client, String jobPrefix) {
    this.client = client;
    this.jobPrefix = jobPrefix;
  }

  public long lastAckNanos() {
    return lastAckNanos;
  }

  public String lastAckLeader() {
    return lastAckLeader;
  }

  public void stop() {
    running = false;
  }

  @Override
  public void run() {
    while (running) {
      try {
        iteration();
      } catch (IOException e) {
        failures.incrementAndGet(); // outcome unknown; the history records only acknowledged facts
      }
    }
  }

  private boolean registered;

  private void iteration() throws IOException {
    if (!registered) {
      submit(List.of(new RegisterWorker(0, WORKER, 1_000_000, List.of(JobSpec.DEFAULT_QUEUE),
          600_000)));
      registered = true;
    }
    List<JobSpec> specs = new ArrayList<>(BATCH);
    for (int i = 0; i < BATCH; i++) {
      specs.add(JobSpec.of(jobPrefix + "-" + (seq++), "t", "p"));
    }
    Outcome submitted = submit(List.of(new SubmitJobs(0, specs))).outcomes().get(0);
    // DUPLICATE_JOB_ID: our own retry of a submit that had committed before its reply was lost.
    if (submitted.isApplied()
        || submitted instanceof Rejected r && r.code() == ErrorCode.DUPLICATE_JOB_ID) {
      specs.forEach(s -> ackedJobs.add(s.jobId()));
    }
    Committed leased = submit(List.of(new LeaseJobs(0, WORKER, BATCH, List.of(), LEASE_MILLIS)));
    List<LeaseGranted> granted = new ArrayList<>();
    if (leased.outcomes().get(0) instanceof Applied a) {
      for (Event e : a.events()) {
        if (e instanceof LeaseGranted g) {
          granted.add(g);
          grants.add(new Grant(g.jobId(), g.generation(), leased.term(),
              g.leaseExpiresAtMillis()));
        }
      }
    }
    for (LeaseGranted g : granted) {
      Outcome done = submit(List.of(new CompleteJob(0, g.jobId(), WORKER, g.generation(), "ok")))
          .outcomes().get(0);
      if (done.isApplied()) {
        completions.merge(g.jobId(), 1, Integer::sum);
      }
    }
  }

  private Committed submit(List<dev.hourglass.core.command.Command> commands) throws IOException {
    Committed c = client.submit(commands);
    lastAckLeader = client.leaderId();
    lastAckNanos = System.nanoTime();
    acks.incrementAndGet();
    return c;
  }
}
