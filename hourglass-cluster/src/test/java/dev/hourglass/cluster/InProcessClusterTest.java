package dev.hourglass.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hourglass.cluster.ReplyCodec.Committed;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.command.Command.LeaseJobs;
import dev.hourglass.core.command.Command.RegisterWorker;
import dev.hourglass.core.command.Command.SubmitJobs;
import dev.hourglass.core.command.JobSpec;
import dev.hourglass.core.engine.EngineConfig;
import dev.hourglass.core.event.Event.LeaseGranted;
import dev.hourglass.core.event.Outcome;
import dev.hourglass.core.event.Outcome.Applied;
import dev.hourglass.core.view.JobState;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three Ratis peers in this JVM on loopback: replication, fencing data, snapshots, quorum loss. */
class InProcessClusterTest {
  static final Duration WAIT = Duration.ofSeconds(60);
  static final RaftTuning TUNING =
      RaftTuning.DEFAULTS
          .withSnapshotEveryEntries(40)
          .withLogSegmentBytes(8192)
          .withWriteTimeout(Duration.ofSeconds(3));

  @TempDir Path dir;
  List<Peer> peers;
  final ReplicatedEngine[] nodes = new ReplicatedEngine[3];
  int jobSeq;

  @BeforeEach
  void startCluster() throws IOException {
    peers = Peer.freeOnLoopback(3);
    for (int i = 0; i < 3; i++) {
      nodes[i] = startNode(i);
    }
  }

  @AfterEach
  void stopCluster() {
    for (int i = 0; i < 3; i++) {
      stopNode(i);
    }
  }

  ReplicatedEngine startNode(int i) throws IOException {
    var o =
        new ClusterOptions(
            peers.get(i).id(),
            peers,
            dir.resolve(peers.get(i).id()),
            EngineConfig.DEFAULTS,
            TUNING,
            System::currentTimeMillis);
    return ReplicatedEngine.start(o);
  }

  void stopNode(int i) {
    if (nodes[i] != null) {
      try {
        nodes[i].close();
      } catch (IOException e) {
        throw new AssertionError("close failed: node=" + i, e);
      }
      nodes[i] = null;
    }
  }

  ReplicatedEngine awaitLeader() {
    return await()
        .atMost(WAIT)
        .until(
            () ->
                Arrays.stream(nodes)
                    .filter(n -> n != null && n.isLeaderReady())
                    .findFirst()
                    .orElse(null),
            n -> n != null);
  }

  List<String> submitJobs(ReplicatedEngine leader, int n) {
    List<JobSpec> specs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      specs.add(JobSpec.of("job-" + (jobSeq++), "t", "p"));
    }
    List<Outcome> out = leader.applyAll(List.of(new SubmitJobs(0, specs)));
    assertThat(out.get(0).isApplied()).as(out.toString()).isTrue();
    return specs.stream().map(JobSpec::jobId).toList();
  }

  void awaitReplicasEqual() {
    await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              long applied = nodes[0].lastAppliedIndex();
              for (ReplicatedEngine n : nodes) {
                assertThat(n.lastAppliedIndex()).isEqualTo(applied);
              }
              byte[] state = nodes[0].stateMachine().snapshotBytes();
              for (ReplicatedEngine n : nodes) {
                assertThat(n.stateMachine().snapshotBytes()).isEqualTo(state);
              }
              // The streamed digest is the checksum of exactly those bytes, the same on every
              // replica.
              var crc = new java.util.zip.CRC32C();
              crc.update(state);
              var digest = nodes[0].stateMachine().digest();
              assertThat(digest.crc32c()).isEqualTo(crc.getValue());
              assertThat(digest.bytes()).isEqualTo(state.length);
              assertThat(digest.appliedIndex()).isEqualTo(applied);
              for (ReplicatedEngine n : nodes) {
                assertThat(n.stateMachine().digest()).isEqualTo(digest);
              }
            });
  }

  @Test
  void leaderStampsTimeAndReplicasConverge() {
    ReplicatedEngine leader = awaitLeader();
    long before = System.currentTimeMillis();
    List<Command> batch =
        List.of(
            new RegisterWorker(0, "w1", 100, List.of("default"), 600_000),
            new SubmitJobs(0, List.of(JobSpec.of("a", "t", "p"), JobSpec.of("b", "t", "p"))),
            new LeaseJobs(0, "w1", 1, List.of(), 30_000));
    Committed c = leader.applyBatch(batch);

    assertThat(c.outcomes()).allMatch(Outcome::isApplied);
    assertThat(c.term()).isEqualTo(leader.term()).isPositive();
    var grant =
        ((Applied) c.outcomes().get(2))
            .events().stream()
                .filter(LeaseGranted.class::isInstance)
                .map(LeaseGranted.class::cast)
                .findFirst()
                .orElseThrow();
    // The client sent atMillis=0; the leader restamped it with its clock.
    assertThat(grant.leaseExpiresAtMillis())
        .isBetween(before + 30_000, System.currentTimeMillis() + 30_000);
    awaitReplicasEqual();
    for (ReplicatedEngine n : nodes) {
      JobState state = n.read(q -> q.state(grant.jobId()));
      assertThat(state).isEqualTo(JobState.RUNNING);
    }
  }

  /**
   * A follower whose applier fails on a committed entry (Ratis then closes its Raft server and
   * applies nothing more) says so, instead of lingering at a frozen applied index while the group
   * moves on; the other two go on, and after a restart it catches up from its log.
   */
  @Test
  void aFollowerWhoseApplierFailsReportsItAndCatchesUpAfterRestart() throws IOException {
    ReplicatedEngine leader = awaitLeader();
    submitJobs(leader, 3);
    awaitReplicasEqual();
    int f = 0;
    while (nodes[f] == leader) {
      f++;
    }
    ReplicatedEngine follower = nodes[f];
    assertThat(follower.failure()).isNull();
    long failAt = leader.commitIndex() + 1;
    follower.stateMachine().failApplyingAt(failAt);
    for (int i = 0; i < 5; i++) {
      submitJobs(leader, 2);
    }
    String failure = await().atMost(WAIT).until(follower::failure, r -> r != null);
    assertThat(failure).contains("index=" + failAt);
    assertThat(follower.lastAppliedIndex()).isEqualTo(failAt - 1);
    assertThat(leader.failure()).isNull();
    submitJobs(leader, 2); // the majority goes on without it

    stopNode(f);
    nodes[f] = startNode(f); // a fresh process: no injected failure, replays its log
    awaitReplicasEqual();
    assertThat(nodes[f].failure()).isNull();
  }

  /**
   * {@code GET /api/v1/cluster} reads members(), leaderId() and term() on any replica at any time,
   * above all during an election, when people look. Ratis's leader state is set up a moment after
   * the role changes to LEADER; reading in that window once answered a 500.
   */
  @Test
  void statusReadsNeverFailAcrossElections() throws Exception {
    var failures = new java.util.concurrent.ConcurrentLinkedQueue<String>();
    var stopping = new java.util.concurrent.atomic.AtomicReferenceArray<Boolean>(3);
    var done = new java.util.concurrent.atomic.AtomicBoolean();
    Thread poller =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (!done.get()) {
                    for (int i = 0; i < 3; i++) {
                      ReplicatedEngine n = nodes[i];
                      if (n == null || Boolean.TRUE.equals(stopping.get(i))) {
                        continue;
                      }
                      try {
                        n.members();
                        n.leaderId();
                        n.term();
                        n.commitIndex();
                      } catch (RuntimeException e) {
                        if (!Boolean.TRUE.equals(stopping.get(i))) {
                          failures.add("node " + i + ": " + e);
                        }
                      }
                    }
                  }
                });
    try {
      ReplicatedEngine first = awaitLeader();
      submitJobs(first, 3);
      int leader = Arrays.asList(nodes).indexOf(first);
      stopping.set(leader, true);
      stopNode(leader);
      ReplicatedEngine second = awaitLeader();
      submitJobs(second, 3);
    } finally {
      done.set(true);
      poller.join();
    }

    assertThat(failures).as("status reads that threw").isEmpty();
  }

  @Test
  void followerRefusesWritesNamingTheLeader() {
    ReplicatedEngine leader = awaitLeader();
    ReplicatedEngine follower =
        Arrays.stream(nodes).filter(n -> n != leader).findFirst().orElseThrow();
    await().atMost(WAIT).until(() -> leader.nodeId().equals(follower.leaderId()));

    assertThatThrownBy(() -> follower.applyAll(List.of(new Command.Tick(0))))
        .isInstanceOfSatisfying(
            NotLeaderException.class,
            e -> {
              assertThat(e.leaderId()).isEqualTo(leader.nodeId());
              assertThat(e.leaderAddress())
                  .isEqualTo(
                      peers.stream()
                          .filter(p -> p.id().equals(leader.nodeId()))
                          .findFirst()
                          .orElseThrow()
                          .address());
            });
    assertThat(leader.members()).extracting(Member::nodeId).containsExactly("s1", "s2", "s3");
    assertThat(leader.members())
        .filteredOn(m -> m.nodeId().equals(leader.nodeId()))
        .extracting(Member::role)
        .containsExactly("LEADER");
  }

  @Test
  void restartedFollowerCatchesUpThroughInstallSnapshotAfterLogPurge() throws IOException {
    ReplicatedEngine leader = awaitLeader();
    int f =
        Arrays.asList(nodes)
            .indexOf(Arrays.stream(nodes).filter(n -> n != leader).findFirst().orElseThrow());
    submitJobs(leader, 5);
    awaitReplicasEqual();
    stopNode(f);

    // Far more entries than the snapshot threshold (40): the leader snapshots and purges its log
    // past everything the stopped follower has, so only a snapshot can bring it up to date.
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      ids.addAll(submitJobs(leader, 2));
    }
    nodes[f] = startNode(f);

    awaitReplicasEqual();
    assertThat(nodes[f].stateMachine().snapshotsInstalled()).isPositive();
    List<String> missing =
        nodes[f].read(q -> ids.stream().filter(id -> q.state(id) == null).toList());
    assertThat(missing).isEmpty();
  }

  @Test
  void majorityLostRefusesWritesButServesLocalReads() {
    ReplicatedEngine leader = awaitLeader();
    List<String> ids = submitJobs(leader, 3);
    awaitReplicasEqual();
    for (int i = 0; i < 3; i++) {
      if (nodes[i] != leader) {
        stopNode(i);
      }
    }

    assertThatThrownBy(
            () ->
                leader.applyAll(List.of(new SubmitJobs(0, List.of(JobSpec.of("lost", "t", "p"))))))
        .isInstanceOfAny(ClusterUnavailableException.class, NotLeaderException.class);
    JobState state = leader.read(q -> q.state(ids.get(0)));
    assertThat(state).isEqualTo(JobState.READY);
  }
}
