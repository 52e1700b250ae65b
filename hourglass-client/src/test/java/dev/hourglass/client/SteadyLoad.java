package dev.hourglass.client;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady submit / lease / complete workload through one {@link HourglassClient} given every
 * replica's URL, one blocking call at a time, that records a history: which submits were
 * acknowledged, every lease grant, and every acknowledged completion. Tests check their invariants
 * against that history. A call whose answer is lost (the leader died with it in flight) has an
 * unknown outcome and is recorded as nothing. Runs on the thread that calls {@link #run}; the
 * history and counters may be read from any thread.
 */
final class SteadyLoad implements Runnable {
  /** Jobs per submit, and the most leased per lease request. */
  static final int BATCH = 4;

  /** Long enough that no lease expires during a test, so a second grant would be a bug. */
  static final Duration LEASE = Duration.ofSeconds(120);

  static final String WORKER = "w1";

  /** One grant as the worker saw it; the generation is the fencing token. */
  record Grant(String jobId, int generation, long expiresAtMillis) {}

  private final HourglassClient client;
  private final String jobPrefix;
  private volatile boolean running = true;
  private long seq;

  final ConcurrentLinkedQueue<String> ackedJobs = new ConcurrentLinkedQueue<>();
  final ConcurrentLinkedQueue<Grant> grants = new ConcurrentLinkedQueue<>();
  final Map<String, Integer> completions = new ConcurrentHashMap<>();

  /** What the worker saw that it must never see: a second copy not marked as a redelivery. */
  final ConcurrentLinkedQueue<String> anomalies = new ConcurrentLinkedQueue<>();

  final AtomicLong acks = new AtomicLong();
  final AtomicLong failures = new AtomicLong();
  private final Map<String, Boolean> held = new ConcurrentHashMap<>();
  private volatile long lastAckNanos;
  private volatile URI lastAckFrom;

  SteadyLoad(HourglassClient client, String jobPrefix) {
    this.client = client;
    this.jobPrefix = jobPrefix;
  }

  long lastAckNanos() {
    return lastAckNanos;
  }

  /** The replica that answered the last acknowledged call. */
  URI lastAckFrom() {
    return lastAckFrom;
  }

  void stop() {
    running = false;
  }

  @Override
  public void run() {
    while (running) {
      try {
        iteration();
      } catch (HourglassException e) {
        failures.incrementAndGet(); // outcome unknown; the history records only acknowledged facts
      }
    }
  }

  private void iteration() {
    List<JobRequest> batch = new ArrayList<>(BATCH);
    List<String> ids = new ArrayList<>(BATCH);
    for (int i = 0; i < BATCH; i++) {
      String id = jobPrefix + "-" + (seq++);
      ids.add(id);
      batch.add(JobRequest.builder("t").jobId(id).build());
    }
    client.submitBatch(batch);
    acked();
    ackedJobs.addAll(ids);
    List<Assignment> leased = client.lease(WORKER, BATCH, Duration.ZERO, List.of(), LEASE);
    acked();
    for (Assignment a : leased) {
      if (held.putIfAbsent(a.jobId() + "#" + a.generation(), true) != null) {
        // A new leader re-sends assignments it cannot know were delivered; a worker that
        // already ran this one ignores the copy, as the SDK's Worker does.
        if (!a.redelivered()) {
          anomalies.add("second copy not marked redelivered: " + a);
        }
        continue;
      }
      grants.add(new Grant(a.jobId(), a.generation(), a.leaseExpiresAt().toEpochMilli()));
      client.complete(a.jobId(), WORKER, a.generation(), null);
      acked();
      completions.merge(a.jobId(), 1, Integer::sum);
    }
  }

  private void acked() {
    lastAckFrom = client.baseUrl();
    lastAckNanos = System.nanoTime();
    acks.incrementAndGet();
  }
}
