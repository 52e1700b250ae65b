package dev.hourglass.cluster.bench;

import dev.hourglass.cluster.ClusterMain;
import dev.hourglass.cluster.Peer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Three (or n) replicas as real JVM processes on 127.0.0.1, each running {@link ClusterMain} with
 * this JVM's classpath, for tests and the failover benchmark. Each replica's stdout and stderr
 * are appended to {@code <baseDir>/<id>.log}. {@link #close} kills every process it started.
 * Not thread-safe: drive it from one thread.
 */
public final class LocalCluster implements AutoCloseable {
  /** JVM flags for JDK 25: silence the shaded Netty's Unsafe and native-access warnings. */
  public static final List<String> JDK_FLAGS =
      List.of("--sun-misc-unsafe-memory-access=allow", "--enable-native-access=ALL-UNNAMED");

  private final Path baseDir;
  private final List<Peer> peers;
  private final List<String> jvmArgs;
  private final List<String> replicaArgs;
  private final Process[] processes;

  /**
   * @param jvmArgs extra JVM flags for each replica (heap, JIT)
   * @param replicaArgs extra ClusterMain flags (e.g. --snapshot-every)
   */
  public LocalCluster(Path baseDir, int size, List<String> jvmArgs, List<String> replicaArgs)
      throws IOException {
    this.baseDir = baseDir;
    this.peers = Peer.freeOnLoopback(size);
    this.jvmArgs = List.copyOf(jvmArgs);
    this.replicaArgs = List.copyOf(replicaArgs);
    this.processes = new Process[size];
    Files.createDirectories(baseDir);
  }


  public List<Peer> peers() {
    return peers;
  }

  public int size() {
    return processes.length;
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
    return baseDir.resolve(peers.get(i).id() + ".log");
  }

  public void startAll() {
    for (int i = 0; i < processes.length; i++) {
      start(i);
    }
  }

  /** Starts replica {@code i} (recovering from its data directory if it has one). */
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
    cmd.add(ClusterMain.class.getName());
    cmd.addAll(List.of("--node-id", peers.get(i).id(), "--peers", Peer.formatList(peers),
        "--data-dir", baseDir.resolve("data-" + peers.get(i).id()).toString()));
    cmd.addAll(replicaArgs);
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

  /** SIGKILL, and wait until the process is gone (its port and locks released). */
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
