package dev.hourglass.server;

import dev.hourglass.cluster.ClusterOptions;
import dev.hourglass.cluster.ReplicatedBackend;
import dev.hourglass.core.event.Event;
import dev.hourglass.runtime.EngineBackend;
import dev.hourglass.runtime.EngineLoop;
import dev.hourglass.runtime.EngineLoopListener;
import dev.hourglass.runtime.LocalBackend;
import dev.hourglass.runtime.PartitionLayout;
import dev.hourglass.runtime.Partitions;
import dev.hourglass.runtime.TimeSource;
import dev.hourglass.wal.durable.DurableEngine;
import dev.hourglass.wal.durable.DurableOptions;
import io.helidon.webserver.WebServer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Hourglass node: the HTTP API (Helidon SE on virtual threads) over an {@link EngineLoop} that
 * drives the engine, either behind this node's own {@link DurableEngine} log or, with {@link
 * ServerOptions#replication()}, as one replica of a Raft group. Embeddable: tests and the demo
 * start one on port 0.
 *
 * <p>Shutdown order, and why: first parked long polls are answered (empty) so that they do not hold
 * the HTTP server's grace period; then the HTTP server stops accepting and lets in-flight calls
 * finish (their commands are still applied by the loop); then the loop applies what is queued and
 * stops; finally the engine closes, which flushes and forces the log.
 *
 * <p>Thread-safety: {@link #start} and {@link #stop} may be called from any thread; stop is
 * idempotent.
 */
public final class HourglassServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HourglassServer.class);

  private final ServerOptions options;

  /** Partition 0's backend: the only one of a single-partition node or a replica. */
  private final EngineBackend backend;

  private final List<EngineBackend> backends;
  private final Partitions partitions;
  private final WebServer web;
  private final URI uri;
  private boolean stopped;

  private HourglassServer(
      ServerOptions options, List<EngineBackend> backends, Partitions partitions, WebServer web) {
    this.options = options;
    this.backends = backends;
    this.backend = backends.get(0);
    this.partitions = partitions;
    this.web = web;
    String host = options.bind().contains(":") ? "[" + options.bind() + "]" : options.bind();
    this.uri = URI.create("http://" + host + ":" + web.port());
  }

  /**
   * Recovers the engine from the data directory (or joins the Raft group), starts the apply loop
   * and the HTTP listener.
   *
   * @throws IOException if the data directory cannot be opened (locked, corrupt, unreadable), or a
   *     replica's Raft port cannot be bound
   */
  public static HourglassServer start(ServerOptions options) throws IOException {
    var time = TimeSource.system();
    List<EngineBackend> backends = new ArrayList<>();
    try {
      if (options.replication() == null) {
        for (Path dir : PartitionLayout.directories(options.dataDir(), options.partitions())) {
          backends.add(
              new LocalBackend(
                  DurableEngine.open(DurableOptions.of(dir, options.engine(), options.fsync()))));
        }
      } else if (options.partitions() == 1) {
        backends.add(replica(options, time));
      } else {
        backends.addAll(replicas(options, time));
      }
    } catch (IOException | RuntimeException e) {
      closeQuietly(List.of(), backends);
      throw e;
    }
    var metrics = new ServerMetrics(options.limits().timedJobsMax());
    // Why serialized: the metrics' own maps are confined to one thread; N loops take turns.
    EngineLoopListener listener = backends.size() == 1 ? metrics : serialized(metrics);
    List<EngineLoop> loops = new ArrayList<>(backends.size());
    for (EngineBackend b : backends) {
      loops.add(new EngineLoop(b, options.limits().loop(), listener, time));
    }
    var partitions = new Partitions(loops, options.limits().loop(), time);
    if (backends.size() > 1) {
      for (int p = 0; p < backends.size(); p++) {
        if (backends.get(p) instanceof ReplicatedBackend replica) {
          // Commands other replicas forward or propose apply here without this loop: their
          // events must wake this replica's parked polls (leases and signals) as well.
          int partition = p;
          replica.onApplied((events, q) -> partitions.appliedElsewhere(partition, events, q));
        }
      }
    }
    loops.forEach(EngineLoop::start);
    var api =
        new Api(
            partitions,
            List.copyOf(backends),
            options.limits(),
            options.auth(),
            metrics,
            time.jobIds(),
            time::wallMillis);
    WebServer web;
    try {
      web =
          WebServer.builder()
              .host(options.bind())
              .port(options.port())
              // Why: Helidon leaves Nagle on. A reply written in more than one segment (a lease of
              // many jobs, a batch's answer) then held its last segment until the client's delayed
              // ACK, ~40 ms on Linux: a one-thread SDK client submitted 1,000-job batches at 20 per
              // second. Every reply here is written whole, so there is nothing for Nagle to merge.
              .connectionOptions(o -> o.tcpNoDelay(true))
              .maxTcpConnections(options.limits().connectionsMax())
              .shutdownHook(false) // ServerMain owns the hook, so the order above holds
              .routing(api::routes)
              .build()
              .start();
    } catch (RuntimeException e) {
      closeQuietly(loops, backends);
      throw new IOException(
          "HTTP listener did not start: bind="
              + options.bind()
              + " port="
              + options.port()
              + "; "
              + e.getMessage(),
          e);
    }
    var server = new HourglassServer(options, backends, partitions, web);
    log.info(
        "hourglass server started: url={} dataDir={} partitions={} fsync={} auth={}"
            + " limits={} replication={}",
        server.uri(),
        options.dataDir(),
        options.partitions(),
        options.fsync(),
        options.auth(),
        options.limits(),
        options.replication());
    return server;
  }

  /** Joins the Raft group; the leader stamps commands with {@code time}'s wall clock. */
  private static ReplicatedBackend replica(ServerOptions options, TimeSource time)
      throws IOException {
    Replication r = options.replication();
    return ReplicatedBackend.start(
        new ClusterOptions(
            r.nodeId(),
            r.peers(),
            options.dataDir(),
            options.engine(),
            r.tuning(),
            time::wallMillis),
        r.httpByNode());
  }

  /**
   * Joins one Raft group per partition (one Ratis server, see ReplicatedEngine#startGroups); writes
   * for a partition this replica does not lead are forwarded to its leader's API.
   */
  private static List<ReplicatedBackend> replicas(ServerOptions options, TimeSource time)
      throws IOException {
    Replication r = options.replication();
    Path dir = options.dataDir();
    boolean hasGroup0 = Files.isDirectory(dir.resolve(ClusterOptions.GROUP_UUID.toString()));
    boolean counted = Files.exists(dir.resolve(PartitionLayout.COUNT_FILE));
    if (hasGroup0 && !counted) {
      throw new IOException(
          ("data directory %s holds a replica without partitions, but the"
                  + " server was started with --partitions %d; start it without --partitions (every"
                  + " job's partition follows from the count, so it is fixed when the directory is"
                  + " created)")
              .formatted(dir, options.partitions()));
    }
    PartitionLayout.directories(dir, options.partitions()); // records or checks the count
    if (options.auth().enabled() && options.auth().adminToken() == null) {
      throw new IOException(
          "--partitions with --peers and tokens needs an admin token in the"
              + " tokens: replicas present it to each other when they forward a write to the"
              + " partition's leader");
    }
    var forwarding =
        new Forwarding(options.auth().adminToken(), r.tuning().writeTimeout().plusSeconds(5));
    return ReplicatedBackend.startGroups(
        new ClusterOptions(
            r.nodeId(), r.peers(), dir, options.engine(), r.tuning(), time::wallMillis),
        options.partitions(),
        r.httpByNode(),
        forwarding);
  }

  private static void closeQuietly(List<EngineLoop> loops, List<EngineBackend> backends) {
    for (EngineLoop loop : loops) {
      try {
        loop.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (EngineBackend backend : backends) {
      try {
        backend.close();
      } catch (IOException e) {
        log.warn("closing the engine after a failed start failed: {}", e.toString());
      }
    }
  }

  /** One listener for many loops: each call under one lock. */
  private static EngineLoopListener serialized(EngineLoopListener inner) {
    return new EngineLoopListener() {
      @Override
      public synchronized void batchApplied(int commands, long nanos) {
        inner.batchApplied(commands, nanos);
      }

      @Override
      public synchronized void events(List<Event> events, long nowMillis) {
        inner.events(events, nowMillis);
      }

      @Override
      public synchronized void overloaded() {
        inner.overloaded();
      }
    };
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return uri.getPort();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:7070}. */
  public URI uri() {
    return uri;
  }

  public ServerOptions options() {
    return options;
  }

  public boolean healthy() {
    return partitions.healthy() && failure() == null;
  }

  /**
   * Why this server can no longer apply anything though its process runs (a replica whose applier
   * failed), or null; {@code hourglass server} exits when it is not null.
   */
  public String failure() {
    for (EngineBackend b : backends) {
      String failure = b.failure(); // a replica with partitions: any of its groups
      if (failure != null) {
        return failure;
      }
    }
    return null;
  }

  /** Graceful stop (see the class comment); returns once the log is flushed and closed. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    long start = System.nanoTime();
    partitions.releaseParkedLeases();
    web.stop();
    try {
      partitions.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (EngineBackend b : backends) {
      try {
        b.close();
      } catch (IOException e) {
        log.error("closing the log failed; the next start recovers from what reached the disk", e);
      }
    }
    log.info(
        "hourglass server stopped: url={} position={} durationMillis={}",
        uri(),
        backends.stream().map(b -> Long.toString(b.position())).toList(),
        (System.nanoTime() - start) / 1_000_000);
  }

  @Override
  public void close() {
    stop();
  }
}
