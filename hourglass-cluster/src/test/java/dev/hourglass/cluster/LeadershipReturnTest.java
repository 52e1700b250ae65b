package dev.hourglass.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three replicas in this JVM, two partitions (partition 0 prefers s1, partition 1 prefers s2). s1
 * stops while partition 0 takes a write every few milliseconds, another replica leads it, s1 comes
 * back: partition 0's leadership returns to s1 while the writes go on. Ratis alone yields it only
 * when s1 holds exactly the leader's last entry, which a steady stream of writes rarely allows.
 */
class LeadershipReturnTest {
  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;
  List<Peer> peers;
  final List<List<ReplicatedEngine>> replicas = new ArrayList<>();

  @AfterEach
  void stopAll() throws IOException {
    for (List<ReplicatedEngine> groups : replicas) {
      stop(groups);
    }
  }

  List<ReplicatedEngine> start(int i) throws IOException {
    var o =
        new ClusterOptions(
            peers.get(i).id(),
            peers,
            dir.resolve(peers.get(i).id()),
            EngineConfig.DEFAULTS,
            RaftTuning.DEFAULTS,
            System::currentTimeMillis);
    return ReplicatedEngine.startGroups(o, 2);
  }

  static void stop(List<ReplicatedEngine> groups) throws IOException {
    if (groups != null) {
      for (ReplicatedEngine g : groups) {
        g.close();
      }
    }
  }

  ReplicatedEngine leaderOf(int partition) {
    for (List<ReplicatedEngine> groups : replicas) {
      if (groups != null && groups.get(partition).isLeaderReady()) {
        return groups.get(partition);
      }
    }
    return null;
  }

  @Test
  void partitionLeadershipReturnsToItsPreferredReplicaUnderSteadyWrites() throws Exception {
    peers = Peer.freeOnLoopback(3);
    for (int i = 0; i < 3; i++) {
      replicas.add(start(i));
    }
    await()
        .atMost(WAIT)
        .until(
            () -> {
              var p0 = leaderOf(0);
              var p1 = leaderOf(1);
              return p0 != null && p0.nodeId().equals("s1") && p1 != null;
            });

    var writing = new AtomicBoolean(true);
    var accepted = new AtomicLong();
    Thread writer =
        Thread.ofPlatform()
            .start(
                () -> {
                  long seq = 0;
                  while (writing.get()) {
                    ReplicatedEngine leader = leaderOf(0);
                    if (leader != null) {
                      try {
                        var spec = JobSpec.of("job-" + seq++, "t", "p");
                        if (leader
                            .applyAll(List.of(new SubmitJobs(0, List.of(spec))))
                            .get(0)
                            .isApplied()) {
                          accepted.incrementAndGet();
                        }
                      } catch (RuntimeException refusedDuringAChange) {
                        // a leader change under way: the next round finds the new leader
                      }
                    }
                    try {
                      Thread.sleep(5);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });
    try {
      stop(replicas.get(0));
      replicas.set(0, null);
      await().atMost(WAIT).until(() -> leaderOf(0) != null);
      assertThat(leaderOf(0).nodeId()).isNotEqualTo("s1");

      replicas.set(0, start(0));
      long acceptedAtRestart = accepted.get();
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .until(() -> leaderOf(0) != null && leaderOf(0).nodeId().equals("s1"));
      // Writes went on while it came back, so the return did not wait for a quiet moment.
      assertThat(accepted.get() - acceptedAtRestart).isGreaterThan(20);
      long acceptedAtReturn = accepted.get();
      await().atMost(WAIT).until(() -> accepted.get() > acceptedAtReturn + 50);
    } finally {
      writing.set(false);
      writer.join(WAIT.toMillis());
    }
  }
}
