package dev.hourglass.server;

import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.runtime.PartitionRouting;
import dev.hourglass.wal.FsyncPolicy;
import java.nio.file.Path;

/**
 * How to run one server.
 *
 * @param dataDir the durable engine's directory (log and snapshots); locked while running
 * @param bind the address to listen on; 127.0.0.1 unless told otherwise, so a server with no tokens
 *     is not reachable from the network by accident
 * @param port the TCP port; 0 picks a free one ({@link HourglassServer#port()} tells which)
 * @param fsync when the log forces to disk; {@code always} unless testing
 * @param auth bearer tokens and their roles; {@link Auth#none()} allows every call
 * @param limits every bound the server enforces
 * @param engine the engine's settings for a new data directory (identical on every replica)
 * @param replication null for a single node; else this node is one replica of a Raft group and
 *     {@code dataDir} holds its Raft log and snapshots ({@code fsync} does not apply: Ratis forces
 *     every entry before it counts toward a commit)
 * @param partitions how many independent engines (each with its own log and apply thread) the node
 *     runs behind its one API; 1 (the default) is the layout and behaviour of a node without
 *     partitions; fixed when the data directory is created (docs/ARCHITECTURE.md)
 */
public record ServerOptions(
    Path dataDir,
    String bind,
    int port,
    FsyncPolicy fsync,
    Auth auth,
    Limits limits,
    EngineConfig engine,
    Replication replication,
    int partitions) {

  public static final String BIND_DEFAULT = "127.0.0.1";
  public static final int PORT_DEFAULT = 7070;

  public ServerOptions {
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException(
          "port=" + port + " is outside [0, 65535]; 0 picks a free" + " port");
    }
    if (partitions < 1 || partitions > PartitionRouting.PARTITIONS_MAX) {
      throw new IllegalArgumentException(
          "partitions=" + partitions + " is outside [1, " + PartitionRouting.PARTITIONS_MAX + "]");
    }
    if (engine.payloadBytesMax() < limits.payloadBytesMax()) {
      // The engine would refuse what the server let through, as a 400 instead of a 413.
      engine = engine.withPayloadBytesMax(limits.payloadBytesMax());
    }
  }

  /** Defaults: 127.0.0.1:7070, fsync always, no tokens, default limits and engine settings. */
  public static ServerOptions of(Path dataDir) {
    return new ServerOptions(
        dataDir,
        BIND_DEFAULT,
        PORT_DEFAULT,
        new FsyncPolicy.Always(),
        Auth.none(),
        Limits.DEFAULTS,
        EngineConfig.DEFAULTS,
        null,
        1);
  }

  public ServerOptions withPort(int p) {
    return new ServerOptions(
        dataDir, bind, p, fsync, auth, limits, engine, replication, partitions);
  }

  public ServerOptions withBind(String b) {
    return new ServerOptions(
        dataDir, b, port, fsync, auth, limits, engine, replication, partitions);
  }

  public ServerOptions withFsync(FsyncPolicy f) {
    return new ServerOptions(dataDir, bind, port, f, auth, limits, engine, replication, partitions);
  }

  public ServerOptions withAuth(Auth a) {
    return new ServerOptions(
        dataDir, bind, port, fsync, a, limits, engine, replication, partitions);
  }

  public ServerOptions withLimits(Limits l) {
    return new ServerOptions(dataDir, bind, port, fsync, auth, l, engine, replication, partitions);
  }

  /** Runs this server as one replica of a Raft group (null: a single node). */
  public ServerOptions withReplication(Replication r) {
    return new ServerOptions(dataDir, bind, port, fsync, auth, limits, engine, r, partitions);
  }

  public ServerOptions withEngine(EngineConfig e) {
    return new ServerOptions(dataDir, bind, port, fsync, auth, limits, e, replication, partitions);
  }

  /** Runs {@code n} partitions behind the one API (1: none). */
  public ServerOptions withPartitions(int n) {
    return new ServerOptions(dataDir, bind, port, fsync, auth, limits, engine, replication, n);
  }
}
