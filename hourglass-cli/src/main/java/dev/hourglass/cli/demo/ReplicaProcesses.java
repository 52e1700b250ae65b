package dev.hourglass.cli.demo;

import dev.hourglass.cluster.Peer;
import dev.hourglass.server.ServerMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
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
 * The replica processes of {@code hourglass demo --cluster}: a Raft group of {@code n} Hourglass
 * servers on 127.0.0.1, each a {@link ServerMain} JVM with this JVM's classpath, its output in
 * {@code <baseDir>/<id>.log}. The demo starts them, SIGKILLs the leader and restarts it; {@link
 * #close} kills every process still running. Not thread-safe: drive it from one thread.
 *
 * <p>The tests and benchmarks have their own harness (hourglass-testkit's LocalReplicaSet, with log
 * tails and arbitrary replica flags); this class is product code, so it cannot use the testkit, and
 * the testkit cannot use it either (the CLI's tests depend on the testkit).
 */
public final class ReplicaProcesses implements AutoCloseable {
  /** JDK 24+ flags: silence the shaded Netty's Unsafe and native-access warnings. */
  private static final List<String> JDK_FLAGS =
      List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED");

  /** Why: a SIGKILLed JVM is gone in well under a second; 30 s means the machine is stuck. */
  private static final long KILL_WAIT_SECONDS = 30;

  private final Path baseDir;
  private final List<String> jvmArgs;
  private final List<Peer> peers;
  private final List<URI> urls;
  private final Process[] processes;

  /**
   * @param jvmArgs extra JVM flags for each replica (heap, JIT)
   */
  public ReplicaProcesses(Path baseDir, int size, List<String> jvmArgs) throws IOException {
    this.baseDir = baseDir;
    this.jvmArgs = List.copyOf(jvmArgs);
    // Raft and HTTP ports in one draw, held open together: two separate draws may hand out the
    // same port twice, and a replica whose HTTP port is another's Raft port cannot start.
    List<Integer> ports = freePorts(2 * size);
    List<Peer> raft = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      raft.add(new Peer("s" + (i + 1), "127.0.0.1", ports.get(i)));
    }
    this.peers = List.copyOf(raft);
    this.urls =
        ports.subList(size, 2 * size).stream()
            .map(p -> URI.create("http://127.0.0.1:" + p))
            .toList();
    this.processes = new Process[size];
    Files.createDirectories(baseDir);
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

  public List<Peer> peers() {
    return peers;
  }

  /** Each replica's API base URL, in peer order. */
  public List<URI> urls() {
    return urls;
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
    for (int i = 0; i < peers.size(); i++) {
      start(i);
    }
  }

  /** Starts replica {@code i}, recovering from its data directory if it has one. */
  public void start(int i) {
    if (processes[i] != null && processes[i].isAlive()) {
      throw new IllegalStateException("already running: " + peers.get(i).id());
    }
    String id = peers.get(i).id();
    String peersHttp =
        peers.stream()
            .map(p -> p.id() + "=" + urls.get(indexOf(p.id())).getAuthority())
            .collect(Collectors.joining(","));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(JDK_FLAGS);
    cmd.addAll(inheritedAotCache());
    cmd.addAll(jvmArgs);
    cmd.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            ServerMain.class.getName(),
            "--node-id",
            id,
            "--peers",
            Peer.formatList(peers),
            "--peers-http",
            peersHttp,
            "--port",
            Integer.toString(urls.get(i).getPort()),
            "--data-dir",
            baseDir.resolve("data-" + id).toString()));
    Path log = baseDir.resolve(id + ".log");
    try {
      processes[i] =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start replica " + id + "; see " + log, e);
    }
  }

  /**
   * This JVM's {@code -XX:AOTCache} flag (JDK 25+, set by {@code ./hourglass} after {@code
   * hourglass aot}): the replicas run the same classpath, so the same cache fits them and they
   * start and fail over faster (docs/BENCHMARKS.md).
   */
  private static List<String> inheritedAotCache() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-XX:AOTCache=") || a.startsWith("-Xlog:aot"))
        .toList();
  }

  /** SIGKILL, and wait until the process is gone (its ports and locks released). */
  public void kill(int i) {
    Process p = processes[i];
    if (p == null) {
      return;
    }
    p.destroyForcibly();
    try {
      if (!p.waitFor(KILL_WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new IllegalStateException(
            "replica did not die within "
                + KILL_WAIT_SECONDS
                + " s of SIGKILL: "
                + peers.get(i).id()
                + " pid="
                + p.pid());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted killing replica " + peers.get(i).id(), e);
    }
    processes[i] = null;
  }

  @Override
  public void close() {
    for (int i = 0; i < processes.length; i++) {
      kill(i);
    }
  }
}
