package dev.hourglass.cluster;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts one replica (Raft only; the HTTP server attaches to the {@link ReplicatedEngine} that
 * {@link #start} returns):
 *
 * <pre>
 * java --sun-misc-unsafe-memory-access=allow --enable-native-access=ALL-UNNAMED \
 *   -cp ... dev.hourglass.cluster.ClusterMain --node-id s1 \
 *   --peers s1=127.0.0.1:9001,s2=127.0.0.1:9002,s3=127.0.0.1:9003 --data-dir data/s1
 * </pre>
 *
 * <p>Optional: {@code --snapshot-every ENTRIES}, {@code --log-segment-bytes N}. Prints one line {@code READY node=<id>} on stdout
 * once the Raft endpoint is bound, then runs until the process is stopped. Exits non-zero when
 * startup fails: Ratis leaves non-daemon threads behind, so returning from main would hang.
 */
public final class ClusterMain {
  private static final Logger log = LoggerFactory.getLogger(ClusterMain.class);

  private ClusterMain() {}

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Starts a replica and blocks until JVM shutdown; returns the exit code (0, or 2 on failure). */
  public static int run(String[] args) {
    ReplicatedEngine engine;
    try {
      engine = start(parse(args));
    } catch (IllegalArgumentException e) {
      System.err.println("hourglass-cluster: " + e.getMessage());
      System.err.println("usage: --node-id ID --peers ID=HOST:PORT,... --data-dir DIR"
          + " [--snapshot-every ENTRIES] [--log-segment-bytes N]");
      return 2;
    } catch (Exception | LinkageError e) {
      log.error("startup failed; exiting", e);
      System.err.println("hourglass-cluster: startup failed: " + e);
      return 2;
    }
    var stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        engine.close();
      } catch (Exception e) {
        log.warn("node={} close failed during shutdown: {}", engine.nodeId(), e.toString());
      }
      stopped.countDown();
    }, "hourglass-shutdown"));
    System.out.println("READY node=" + engine.nodeId());
    System.out.flush();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  /** Starts the replica and its leader ticker; the integrator calls this, then attaches HTTP. */
  public static ReplicatedEngine start(ClusterOptions options) throws java.io.IOException {
    ReplicatedEngine engine = ReplicatedEngine.start(options);
    engine.startTicker(outcomes -> { });
    return engine;
  }

  /**
   * Parses the command line.
   *
   * @throws IllegalArgumentException naming the offending flag
   */
  public static ClusterOptions parse(String[] args) {
    String nodeId = null;
    String peers = null;
    String dataDir = null;
    RaftTuning tuning = RaftTuning.DEFAULTS;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value for " + flag);
      }
      String value = args[++i];
      switch (flag) {
        case "--node-id" -> nodeId = value;
        case "--peers" -> peers = value;
        case "--data-dir" -> dataDir = value;
        case "--snapshot-every" -> tuning = tuning.withSnapshotEveryEntries(Long.parseLong(value));
        case "--log-segment-bytes" -> tuning = tuning.withLogSegmentBytes(Long.parseLong(value));
        default -> throw new IllegalArgumentException("unknown flag " + flag);
      }
    }
    if (nodeId == null || peers == null || dataDir == null) {
      throw new IllegalArgumentException("--node-id, --peers and --data-dir are required");
    }
    List<Peer> list = Peer.parseList(peers);
    return ClusterOptions.of(nodeId, list, Path.of(dataDir)).withTuning(tuning);
  }
}
