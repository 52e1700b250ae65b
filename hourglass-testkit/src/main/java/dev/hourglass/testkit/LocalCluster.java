package dev.hourglass.testkit;

import dev.hourglass.cluster.ClusterMain;
import dev.hourglass.cluster.Peer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Three (or n) Raft-only replicas as real JVM processes on 127.0.0.1, each running {@link
 * ClusterMain}, for the Raft-level tests and the failover benchmark (the HTTP server's replica
 * set is {@link LocalReplicaSet}). Not thread-safe: drive it from one thread.
 */
public final class LocalCluster implements AutoCloseable {
  private final List<Peer> peers;
  private final LocalProcesses processes;

  /**
   * @param jvmArgs extra JVM flags for each replica (heap, JIT)
   * @param replicaArgs extra ClusterMain flags (e.g. --snapshot-every)
   */
  public LocalCluster(Path baseDir, int size, List<String> jvmArgs, List<String> replicaArgs)
      throws IOException {
    this.peers = Peer.freeOnLoopback(size);
    this.processes = new LocalProcesses(baseDir, peers.stream().map(Peer::id).toList(), jvmArgs,
        ClusterMain.class.getName(), i -> {
          List<String> args = new ArrayList<>(List.of("--node-id", peers.get(i).id(), "--peers",
              Peer.formatList(peers), "--data-dir",
              baseDir.resolve("data-" + peers.get(i).id()).toString()));
          args.addAll(replicaArgs);
          return args;
        });
  }

  public List<Peer> peers() {
    return peers;
  }

  public int size() {
    return peers.size();
  }

  public int indexOf(String peerId) {
    for (int i = 0; i < peers.size(); i++) {
      if (peers.get(i).id().equals(peerId)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no such peer: " + peerId);
  }

  public Path log(int i) {
    return processes.log(i);
  }

  public void startAll() {
    for (int i = 0; i < size(); i++) {
      start(i);
    }
  }

  /** Starts replica {@code i} (recovering from its data directory if it has one). */
  public void start(int i) {
    processes.start(i);
  }

  public boolean isAlive(int i) {
    return processes.isAlive(i);
  }

  /** SIGKILL, and wait until the process is gone (its port and locks released). */
  public void kill(int i) {
    processes.kill(i);
  }

  /** The last lines of a replica's log, for failure messages. */
  public String tail(int i, int lines) {
    return processes.tail(i, lines);
  }

  @Override
  public void close() {
    processes.close();
  }
}
