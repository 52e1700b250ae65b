package dev.hourglass.server;

import dev.hourglass.cluster.Peer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A Raft group of {@code n} Hourglass servers as real JVM processes on 127.0.0.1, each running
 * {@link ServerMain} as a replica with this JVM's classpath: for `hourglass demo --cluster`, the
 * cluster tests and the failover benchmark. Each replica's stdout and stderr are appended to
 * {@code <baseDir>/<id>.log}; {@link #close} kills every process it started. Not thread-safe:
 * drive it from one thread.
 */
public final class LocalReplicaSet implements AutoCloseable {
  /** JDK 24+ flags: silence the shaded Netty's Unsafe and native-access warnings. */
  private static final List<String> JDK_FLAGS =
      List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED");

  private final Path baseDir;
  private final List<Peer> peers;
  private final List<URI> http;
  private final List<String> jvmArgs;
  private final List<String> serverArgs;
  private final Process[] processes;

  /**
   * @param jvmArgs extra JVM flags for each replica (heap, JIT)
   * @param serverArgs extra {@code hourglass server} flags for each replica (tokens, fsync)
   */
  public LocalReplicaSet(Path baseDir, int size, List<String> jvmArgs, List<String> serverArgs)
      throws IOException {
    this.baseDir = baseDir;
    this.peers = Peer.freeOnLoopback(size);
    List<URI> urls = new ArrayList<>();
    for (int port : freePorts(size)) {
      urls.add(URI.create("http://127.0.0.1:" + port));
    }
    this.http = List.copyOf(urls);
    this.jvmArgs = List.copyOf(jvmArgs);
    this.serverArgs = List.copyOf(serverArgs);
    this.processes = new Process[size];
    Files.createDirectories(baseDir);
  }

  private static List<Integer> freePorts(int n) throws IOException {
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

  public List<Peer> peers() {
    return peers;
  }

  /** Each replica's API base URL, in peer order. */
  public List<URI> urls() {
    return http;
  }

  public int size() {
    return processes.length;
  }

  public int indexOf(String nodeId) {
    for (int i = 0; i < peers.size(); i++) {
      if (peers.get(i).id().equals(nodeId)) {
        return i;
      }
    }
    throw new IllegalArgumentException("no such replica: " + nodeId);
  }

  public Path log(int i) {
    return baseDir.resolve(peers.get(i).id() + ".log");
  }

  public Path dataDir(int i) {
    return baseDir.resolve("data-" + peers.get(i).id());
  }

  public void startAll() {
    for (int i = 0; i < processes.length; i++) {
      start(i);
    }
  }

  /** The {@code --peers-http} value every replica gets. */
  public String peersHttp() {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < peers.size(); i++) {
      parts.add(peers.get(i).id() + "=" + http.get(i).getAuthority());
    }
    return parts.stream().collect(Collectors.joining(","));
  }

  /** Starts replica {@code i}, recovering from its data directory if it has one. */
  public void start(int i) {
    if (isAlive(i)) {
      throw new IllegalStateException("replica already running: " + peers.get(i).id());
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(JDK_FLAGS);
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ServerMain.class.getName());
    cmd.addAll(List.of("--node-id", peers.get(i).id(), "--peers", Peer.formatList(peers),
        "--peers-http", peersHttp(), "--port", Integer.toString(http.get(i).getPort()),
        "--data-dir", dataDir(i).toString()));
    cmd.addAll(serverArgs);
    var pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log(i).toFile()));
    try {
      processes[i] = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start replica " + peers.get(i).id(), e);
    }
  }

  public boolean isAlive(int i) {
    return processes[i] != null && processes[i].isAlive();
  }

  /** SIGKILL, and wait until the process is gone (its ports and locks released). */
  public void kill(int i) {
    Process p = processes[i];
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("replica did not die within 30 s of SIGKILL: "
            + peers.get(i).id() + " pid=" + p.pid());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted killing " + peers.get(i).id(), e);
    }
    processes[i] = null;
  }

  /** SIGTERM (graceful shutdown), waiting up to 30 s. */
  public void stop(int i) throws InterruptedException {
    Process p = processes[i];
    if (p == null) {
      return;
    }
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      kill(i);
    }
    processes[i] = null;
  }

  /** The last lines of a replica's log, for failure messages. */
  public String tail(int i, int lines) {
    try {
      List<String> all = Files.exists(log(i)) ? Files.readAllLines(log(i)) : List.of();
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log(i) + ": " + e + ")";
    }
  }

  @Override
  public void close() {
    for (int i = 0; i < processes.length; i++) {
      kill(i);
    }
  }
}
