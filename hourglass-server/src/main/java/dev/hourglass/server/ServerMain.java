package dev.hourglass.server;

import dev.hourglass.cluster.Peer;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.wal.FsyncPolicy;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code hourglass server}: runs one node until SIGTERM or SIGINT, then shuts down gracefully. The
 * options are {@link #OPTIONS}.
 *
 * <p>Prints one line {@code hourglass server listening on http://HOST:PORT} to stdout once the port
 * is bound, so scripts and tests can read the port. Logs go to stderr.
 *
 * <p>Refuses to listen beyond the loopback interface without tokens, unless told so with {@code
 * --allow-unauthenticated}: an open scheduler on a network runs whatever anyone submits.
 */
public final class ServerMain {
  /**
   * How often the main thread checks that a replica still applies: cheap, and well below a client's
   * failover patience.
   */
  private static final long FAILURE_CHECK_MILLIS = 500;

  private ServerMain() {}

  /** One line of synopsis, for errors. */
  public static final String SYNOPSIS =
      "hourglass server --data-dir DIR [--port 7070]"
          + " [--bind 127.0.0.1] [--fsync always|batch(5ms)|never] [--tokens-file FILE]"
          + " [--allow-unauthenticated] [--payload-max-bytes N] [--worker-retention 1h]"
          + " [--misfire-threshold 60s] [--partitions N] [--node-id ID --peers"
          + " ID=HOST:PORT,... [--peers-http ID=HOST:PORT,...] [--election-timeout MIN-MAX]"
          + " [--raft-snapshot-every N] [--raft-segment-bytes N]]";

  /**
   * Every option, one per line of at most 80 columns, for {@code --help}; a constant, so that
   * picocli's help for {@code hourglass server} shows it too.
   */
  public static final String OPTIONS =
      ""
          + "  --data-dir DIR           required; the log and snapshots\n"
          + "  --port N                 default 7070; 0 picks a free port (printed)\n"
          + "  --bind ADDRESS           default 127.0.0.1; any other address needs tokens\n"
          + "  --tokens-file FILE       role:token lines (client, worker, admin); or set\n"
          + "                           HOURGLASS_TOKENS=role:token,...\n"
          + "  --allow-unauthenticated  listen beyond loopback without tokens (warns)\n"
          + "  --fsync POLICY           always (default), batch(5ms), never (tests only)\n"
          + "  --partitions N           default 1; engines (log, apply thread) behind the\n"
          + "                           one API; fixed when the data directory is created;\n"
          + "                           a replica runs one Raft group per partition\n"
          + "  --payload-max-bytes N    default 1048576\n"
          + "  --worker-retention D     default 1h; how long a dead worker stays listed\n"
          + "                           (0 forgets it at death)\n"
          + "  --misfire-threshold D    default 60s; how late a cron firing may be and\n"
          + "                           still run as on time\n"
          + "  (D: milliseconds, or a number with ms, s, m or h; these two engine settings\n"
          + "  are fixed when the data directory is created)\n"
          + "As one replica of a Raft group (docs/CLUSTER.md):\n"
          + "  --node-id ID             this replica's id, one of --peers\n"
          + "  --peers LIST             s1=127.0.0.1:9001,s2=...,s3=... (Raft endpoints)\n"
          + "  --peers-http LIST        s1=127.0.0.1:7071,... each replica's API, so that\n"
          + "                           followers can redirect to the leader\n"
          + "  --election-timeout MS    MIN-MAX, default 500-1000\n"
          + "  --raft-snapshot-every N  log entries between snapshots, default 50000; the\n"
          + "                           log is purged up to each (bounds restart replay)\n"
          + "  --raft-segment-bytes N   Raft log segment size, default 8388608; only closed\n"
          + "                           segments are purged\n";

  private static final String ALLOW_UNAUTHENTICATED = "--allow-unauthenticated";

  /** The options read from a command line, and whether an open bind was asked for. */
  record Parsed(ServerOptions options, boolean allowUnauthenticated) {}

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
    Started started = start(args, out, err, tokensEnv);
    if (started.server() == null) {
      return started.exitCode();
    }
    HourglassServer server = started.server();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.stop();
                  stopped.countDown();
                },
                "hourglass-shutdown"));
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

  /** A running server, or none and the exit code (0 after --help, 1 failed, 2 bad usage). */
  record Started(HourglassServer server, int exitCode) {}

  /** Everything but waiting for the end: help, parsing, the open-bind check and the start. */
  static Started start(String[] args, PrintStream out, PrintStream err, String tokensEnv) {
    if (helpAsked(args)) {
      out.println("usage: " + SYNOPSIS);
      out.println();
      out.print(OPTIONS);
      out.println("  -h, --help               show this help and exit");
      out.flush();
      return new Started(null, 0);
    }
    Parsed parsed;
    try {
      parsed = parse(args, tokensEnv);
      refuseOpenBind(parsed, err);
    } catch (IllegalArgumentException | IOException e) {
      err.println("hourglass server: " + e.getMessage());
      err.println("usage: " + SYNOPSIS);
      err.println("(hourglass server --help lists every option)");
      return new Started(null, 2);
    }
    HourglassServer server;
    try {
      server = HourglassServer.start(parsed.options());
    } catch (IOException | RuntimeException e) {
      err.println("hourglass server: could not start: " + e.getMessage());
      return new Started(null, 1);
    }
    out.println("hourglass server listening on " + server.uri());
    out.flush();
    return new Started(server, 0);
  }

  /** True when {@code --help} or {@code -h} stands where an option name may stand. */
  static boolean helpAsked(String[] args) {
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        return true;
      }
      if (a.startsWith("--") && !a.equals(ALLOW_UNAUTHENTICATED)) {
        i++; // skip the option's value
      }
    }
    return false;
  }

  /**
   * Without tokens, a server reachable from other machines lets anyone submit, cancel and run jobs:
   * refuse that unless {@code --allow-unauthenticated} says it is meant, and then warn.
   */
  static void refuseOpenBind(Parsed parsed, PrintStream err) {
    ServerOptions o = parsed.options();
    if (o.auth().enabled() || loopback(o.bind())) {
      return;
    }
    if (!parsed.allowUnauthenticated()) {
      throw new IllegalArgumentException(
          ("--bind %s reaches beyond this machine, and no tokens"
                  + " are configured, so anyone who can reach the port could submit, cancel and run"
                  + " jobs; refusing to start. Configure tokens with --tokens-file FILE (or"
                  + " HOURGLASS_TOKENS), bind to 127.0.0.1, or pass --allow-unauthenticated if the"
                  + " network itself is trusted")
              .formatted(o.bind()));
    }
    err.println(
        ("hourglass server: WARNING: listening on %s without tokens"
                + " (--allow-unauthenticated): anyone who can reach the port may submit, cancel and run"
                + " jobs; use --tokens-file FILE to require tokens")
            .formatted(o.bind()));
    err.flush();
  }

  /** Whether every address the name stands for is a loopback address. */
  static boolean loopback(String bind) {
    try {
      InetAddress[] all = InetAddress.getAllByName(bind);
      for (InetAddress a : all) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return all.length > 0;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "--bind " + bind + " is not an address or a known host" + " name");
    }
  }

  static Parsed parse(String[] args, String tokensEnv) throws IOException {
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
    Long snapshotEvery = null;
    Long segmentBytes = null;
    int partitions = 1;
    boolean allowUnauthenticated = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals(ALLOW_UNAUTHENTICATED)) {
        allowUnauthenticated = true;
        continue;
      }
      String v = i + 1 < args.length ? args[i + 1] : null;
      if (v == null && a.startsWith("--")) {
        throw new IllegalArgumentException("option " + a + " needs a value");
      }
      switch (a) {
        case "--data-dir" -> dataDir = Path.of(v);
        case "--port" -> port = integer(a, v);
        case "--partitions" -> partitions = integer(a, v);
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
        case "--raft-snapshot-every" -> snapshotEvery = (long) integer(a, v);
        case "--raft-segment-bytes" -> segmentBytes = (long) integer(a, v);
        default -> throw new IllegalArgumentException("unknown option \"" + a + "\"");
      }
      i++;
    }
    if (dataDir == null) {
      throw new IllegalArgumentException("--data-dir is required");
    }
    Replication replication = null;
    if (nodeId != null
        || peers != null
        || peersHttp != null
        || electionTimeout != null
        || snapshotEvery != null
        || segmentBytes != null) {
      if (nodeId == null || peers == null) {
        throw new IllegalArgumentException(
            "a replica needs both --node-id and --peers (and"
                + " --peers-http so that followers can redirect to the leader)");
      }
      replication =
          Replication.of(
              nodeId,
              Peer.parseList(peers),
              peersHttp == null ? java.util.Map.of() : Replication.parseHttp(peersHttp));
      if (electionTimeout != null) {
        replication =
            replication.withTuning(replication.tuning().withElectionTimeout(electionTimeout));
      }
      if (snapshotEvery != null) {
        replication =
            replication.withTuning(replication.tuning().withSnapshotEveryEntries(snapshotEvery));
      }
      if (segmentBytes != null) {
        replication =
            replication.withTuning(replication.tuning().withLogSegmentBytes(segmentBytes));
      }
    }
    return new Parsed(
        ServerOptions.of(dataDir)
            .withBind(bind)
            .withPort(port)
            .withFsync(fsync)
            .withAuth(auth)
            .withLimits(limits)
            .withEngine(engine)
            .withReplication(replication)
            .withPartitions(partitions),
        allowUnauthenticated);
  }

  /** A duration: milliseconds, or a non-negative number with a unit (ms, s, m, h). */
  static long millis(String option, String value) {
    var m = java.util.regex.Pattern.compile("(\\d{1,12})(ms|s|m|h)?").matcher(value.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          option
              + "=\""
              + value
              + "\" is not a duration; give"
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
