package dev.hourglass.testkit;

import dev.hourglass.cluster.Peer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A Raft group of {@code n} Hourglass servers as real JVM processes on 127.0.0.1, each running
 * {@code dev.hourglass.server.ServerMain} as a replica with this JVM's classpath, through {@link
 * LocalProcesses}: for the process-level cluster tests and the cluster benchmark. Each replica's
 * output goes to {@code <baseDir>/<id>.log}; {@link #close} kills every process it started. Not
 * thread-safe: drive it from one thread.
 */
public final class LocalReplicaSet implements AutoCloseable {
  /**
   * The replica's main class, by name: the server's own tests use this kit, so the kit cannot
   * depend on the server module (Maven allows no cycle, whatever the scope). The caller's classpath
   * has the server on it; a rename fails ClusterHttpTest at once.
   */
  static final String SERVER_MAIN = "dev.hourglass.server.ServerMain";

  private final List<Peer> peers;
  private final List<URI> http;
  private final LocalProcesses processes;

  /**
   * @param jvmArgs extra JVM flags for each replica (heap, JIT)
   * @param serverArgs extra {@code hourglass server} flags for each replica (tokens, timeouts)
   */
  public LocalReplicaSet(Path baseDir, int size, List<String> jvmArgs, List<String> serverArgs)
      throws IOException {
    // Raft and HTTP ports in one draw, held open together: two separate draws may hand out the
    // same port twice, and a replica whose HTTP port is another's Raft port cannot start.
    List<Integer> ports = freePorts(2 * size);
    List<Peer> raft = new ArrayList<>();
    List<URI> urls = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      raft.add(new Peer("s" + (i + 1), "127.0.0.1", ports.get(i)));
      urls.add(URI.create("http://127.0.0.1:" + ports.get(size + i)));
    }
    this.peers = List.copyOf(raft);
    this.http = List.copyOf(urls);
    String peersHttp = peersHttp();
    this.processes =
        new LocalProcesses(
            baseDir,
            peers.stream().map(Peer::id).toList(),
            jvmArgs,
            SERVER_MAIN,
            i -> {
              List<String> args =
                  new ArrayList<>(
                      List.of(
                          "--node-id",
                          peers.get(i).id(),
                          "--peers",
                          Peer.formatList(peers),
                          "--peers-http",
                          peersHttp,
                          "--port",
                          Integer.toString(http.get(i).getPort()),
                          "--data-dir",
                          baseDir.resolve("data-" + peers.get(i).id()).toString()));
              args.addAll(serverArgs);
              return args;
            });
  }

  /** {@code n} distinct ports that were free on 127.0.0.1 a moment ago (others may bind first). */
  public static List<Integer> freePorts(int n) throws IOException {
    List<ServerSocket> held = new ArrayList<>();
    try {
      List<Integer> ports = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        held.add(s);
        ports.add(s.getLocalPort());
      }
      return ports;
    } finally {
      for (var s : held) {
        s.close();
      }
    }
  }

  /** The {@code --peers-http} value every replica gets. */
  private String peersHttp() {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < peers.size(); i++) {
      parts.add(peers.get(i).id() + "=" + http.get(i).getAuthority());
    }
    return parts.stream().collect(Collectors.joining(","));
  }

  public List<Peer> peers() {
    return peers;
  }

  /** Each replica's API base URL, in peer order. */
  public List<URI> urls() {
    return http;
  }

  public int size() {
    return peers.size();
  }

  public int indexOf(String nodeId) {
    for (int i = 0; i < peers.size(); i++) {
      if (peers.get(i).id().equals(nodeId)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no such replica: " + nodeId);
  }

  public void startAll() {
    for (int i = 0; i < size(); i++) {
      start(i);
    }
  }

  /** Starts replica {@code i}, recovering from its data directory if it has one. */
  public void start(int i) {
    processes.start(i);
  }

  public boolean isAlive(int i) {
    return processes.isAlive(i);
  }

  /** SIGKILL, and wait until the process is gone (its ports and locks released). */
  public void kill(int i) {
    processes.kill(i);
  }

  /** Replica {@code i}'s output (stdout and stderr), appended across its restarts. */
  public Path log(int i) {
    return processes.log(i);
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
