package dev.hourglass.server;

import dev.hourglass.cluster.Peer;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.wal.FsyncPolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code hourglass server}: runs one node until SIGTERM or SIGINT, then shuts down gracefully.
 *
 * <pre>
 *   --data-dir DIR         required; the log and snapshots
 *   --port N               default 7070; 0 picks a free port (printed)
 *   --bind ADDRESS         default 127.0.0.1
 *   --fsync POLICY         always (default), batch(5ms), never (tests only)
 *   --tokens-file FILE     role:token lines (client, worker, admin); or env HOURGLASS_TOKENS
 *   --payload-max-bytes N  default 1048576
 *   --worker-retention D   default 1h; how long a dead worker stays listed (0 forgets it at death)
 *   --misfire-threshold D  default 60s; how late a cron firing may be and still run as on time
 *   (D: milliseconds, or a number with ms, s, m or h; the two engine settings are fixed when the
 *   data directory is created)
 *
 * As one replica of a Raft group (docs/CLUSTER.md):
 *   --node-id ID           this replica's id, one of --peers
 *   --peers LIST           s1=127.0.0.1:9001,s2=127.0.0.1:9002,s3=127.0.0.1:9003 (Raft endpoints)
 *   --peers-http LIST      s1=127.0.0.1:7071,... each replica's API, so followers can redirect
 *   --election-timeout MS  MIN-MAX, default 500-1000 (shorter fails over faster, see CLUSTER.md)
 * </pre>
 *
 * <p>Prints one line {@code hourglass server listening on http://HOST:PORT} to stdout once the
 * port is bound, so scripts and tests can read the port. Logs go to stderr.
 */
public final class ServerMain {
  /** How often the main thread checks that a replica still applies: cheap, and well below a
   * client's failover patience. */
  private static final long FAILURE_CHECK_MILLIS = 500;

  private ServerMain() {}

  public static void main(String[] args) {
    int code = run(args);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the server until the JVM is asked to stop; returns the exit code (2 = bad usage). */
  public static int run(String[] args) {
    return run(args, System.out, System.err, System.getenv("HOURGLASS_TOKENS"));
  }

  static int run(String[] args, PrintStream out, PrintStream err, String tokensEnv) {
    ServerOptions options;
    try {
      options = parse(args, tokensEnv);
    } catch (IllegalArgumentException | IOException e) {
      err.println("hourglass server: " + e.getMessage());
      err.println("usage: hourglass server --data-dir DIR [--port 7070] [--bind 127.0.0.1]"
          + " [--fsync always|batch(5ms)|never] [--tokens-file FILE] [--payload-max-bytes N]"
          + " [--worker-retention 1h] [--misfire-threshold 60s]"
          + " [--node-id ID --peers ID=HOST:PORT,... [--peers-http ID=HOST:PORT,...]"
          + " [--election-timeout MIN-MAX]]");
      return 2;
    }
    HourglassServer server;
    try {
      server = HourglassServer.start(options);
    } catch (IOException | RuntimeException e) {
      err.println("hourglass server: could not start: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.stop();
      stopped.countDown();
    }, "hourglass-shutdown"));
    out.println("hourglass server listening on " + server.uri());
    out.flush();
    try {
      // A replica whose applier failed would otherwise linger at a frozen applied index while
      // the group moves on; exiting lets a supervisor restart it, and a restart replays its log.
      while (!stopped.await(FAILURE_CHECK_MILLIS, TimeUnit.MILLISECONDS)) {
        String failure = server.failure();
        if (failure != null) {
          err.println("hourglass server: stopping, this replica applies nothing more: " + failure);
          server.stop();
          return 1;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      server.stop();
    }
    return 0;
  }

  static ServerOptions parse(String[] args, String tokensEnv) throws IOException {
    Path dataDir = null;
    String bind = ServerOptions.BIND_DEFAULT;
    int port = ServerOptions.PORT_DEFAULT;
    FsyncPolicy fsync = new FsyncPolicy.Always();
    Auth auth = tokensEnv == null || tokensEnv.isBlank() ? Auth.none() : Auth.parse(tokensEnv);
    Limits limits = Limits.DEFAULTS;
    EngineConfig engine = EngineConfig.DEFAULTS;
    String nodeId = null;
    String peers = null;
    String peersHttp = null;
    String electionTimeout = null;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null && a.startsWith("--")) {
        throw new IllegalArgumentException("option " + a + " needs a value");
      }
      switch (a) {
        case "--data-dir" -> dataDir = Path.of(v);
        case "--port" -> port = integer(a, v);
        case "--bind" -> bind = v;
        case "--fsync" -> fsync = FsyncPolicy.parse(v);
        case "--tokens-file" -> auth = Auth.fromFile(Path.of(v));
        case "--payload-max-bytes" -> limits = limits.withPayloadBytesMax(integer(a, v));
        case "--worker-retention" -> engine = engine.withWorkerRetentionMillis(millis(a, v));
        case "--misfire-threshold" -> engine = engine.withMisfireThresholdMillis(millis(a, v));
        case "--node-id" -> nodeId = v;
        case "--peers" -> peers = v;
        case "--peers-http" -> peersHttp = v;
        case "--election-timeout" -> electionTimeout = v;
        default -> throw new IllegalArgumentException("unknown option \"" + a + "\"");
      }
      i++;
    }
    if (dataDir == null) {
      throw new IllegalArgumentException("--data-dir is required");
    }
    Replication replication = null;
    if (nodeId != null || peers != null || peersHttp != null || electionTimeout != null) {
      if (nodeId == null || peers == null) {
        throw new IllegalArgumentException("a replica needs both --node-id and --peers (and"
            + " --peers-http so that followers can redirect to the leader)");
      }
      replication = Replication.of(nodeId, Peer.parseList(peers),
          peersHttp == null ? java.util.Map.of() : Replication.parseHttp(peersHttp));
      if (electionTimeout != null) {
        replication = replication.withTuning(replication.tuning()
            .withElectionTimeout(electionTimeout));
      }
    }
    return ServerOptions.of(dataDir).withBind(bind).withPort(port).withFsync(fsync)
        .withAuth(auth).withLimits(limits).withEngine(engine).withReplication(replication);
  }

  /** A duration: milliseconds, or a non-negative number with a unit (ms, s, m, h). */
  static long millis(String option, String value) {
    var m = java.util.regex.Pattern.compile("(\\d{1,12})(ms|s|m|h)?").matcher(value.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(option + "=\"" + value + "\" is not a duration; give"
          + " milliseconds or a number with ms, s, m or h, e.g. 90s or 1h");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    return switch (unit) {
      case "s" -> n * 1_000;
      case "m" -> n * 60_000;
      case "h" -> n * 3_600_000;
      default -> n;
    };
  }

  private static int integer(String option, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(option + "=\"" + value + "\" is not an integer");
    }
  }
}
