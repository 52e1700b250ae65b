package dev.hourglass.cluster;

import dev.hourglass.cluster.ClusterQuery.Status;
import dev.hourglass.cluster.ReplyCodec.Committed;
import dev.hourglass.core.command.Command;
import dev.hourglass.core.view.JobState;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.TimeDuration;

/**
 * A Raft client for a cluster, from another process: submits command batches (the leader stamps
 * their time) and reads status. Used by tests, the benchmark and admin tools; the HTTP server
 * inside a replica uses {@link ReplicatedEngine} instead. It follows the leader and retries
 * (with the same call id, which Ratis's retry cache deduplicates) until {@code giveUpAfter}.
 * Thread-safe.
 */
public final class ClusterClient implements AutoCloseable {
  /** Pause between retries while there is no leader; short, because failover is what we time. */
  private static final Duration RETRY_SLEEP = Duration.ofMillis(20);

  private final RaftClient client;
  private final Duration giveUpAfter;

  public ClusterClient(List<Peer> peers, Duration giveUpAfter, Duration requestTimeout) {
    var p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    RaftClientConfigKeys.Rpc.setRequestTimeout(p,
        TimeDuration.valueOf(requestTimeout.toMillis(), TimeUnit.MILLISECONDS));
    this.giveUpAfter = giveUpAfter;
    int attempts = (int) Math.max(1, giveUpAfter.toMillis() / RETRY_SLEEP.toMillis());
    this.client = RaftClient.newBuilder()
        .setRaftGroup(ReplicatedEngine.group(peers))
        .setProperties(p)
        .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(attempts,
            TimeDuration.valueOf(RETRY_SLEEP.toMillis(), TimeUnit.MILLISECONDS)))
        .build();
  }

  /**
   * Replicates one batch and waits for its commit.
   *
   * @throws IOException when no leader committed it within {@code giveUpAfter}: the outcome is
   *     unknown (it may still commit), so retry with idempotency keys
   */
  public Committed submit(List<Command> commands) throws IOException {
    RaftClientReply reply;
    try {
      reply = client.io().send(message(EntryCodec.encode(commands)));
    } catch (IOException e) {
      throw new IOException("cluster unavailable: write not committed within giveUpAfter="
          + giveUpAfter + " lastLeader=" + client.getLeaderId()
          + " (no leader, or no majority reachable); outcome unknown", e);
    }
    return committed(reply);
  }

  /** The leader this client last talked to (a guess until a request succeeds). */
  public String leaderId() {
    RaftPeerId id = client.getLeaderId();
    return id == null ? null : id.toString();
  }

  /** Pipelined submit: replies complete in order of submission. */
  public CompletableFuture<Committed> submitAsync(List<Command> commands) {
    return client.async().send(message(EntryCodec.encode(commands))).thenApply(r -> {
      try {
        return committed(r);
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    });
  }

  /** The states of the given jobs, read linearizably on the leader (null for unknown ids). */
  public List<JobState> jobStates(List<String> jobIds) throws IOException {
    RaftClientReply r = client.io().sendReadOnly(message(ClusterQuery.jobStatesRequest(jobIds)));
    return ClusterQuery.decodeJobStates(content(r));
  }

  /** A replica's status, once it has applied at least {@code minIndex} (0: whatever it has). */
  public Status status(String peerId, long minIndex) throws IOException {
    RaftClientReply r = client.io().sendStaleRead(message(ClusterQuery.statusRequest()), minIndex,
        RaftPeerId.valueOf(peerId));
    return ClusterQuery.decodeStatus(content(r));
  }

  /** The leader's status (linearizable). */
  public Status leaderStatus() throws IOException {
    return ClusterQuery.decodeStatus(content(client.io().sendReadOnly(
        message(ClusterQuery.statusRequest()))));
  }

  private static Message message(byte[] bytes) {
    return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes));
  }

  private static byte[] content(RaftClientReply r) throws IOException {
    if (!r.isSuccess()) {
      throw new IOException("request failed: server=" + r.getServerId() + " " + r.getException(),
          r.getException());
    }
    return r.getMessage().getContent().toByteArray();
  }

  private static Committed committed(RaftClientReply r) throws IOException {
    Committed c = ReplyCodec.decode(content(r));
    return c;
  }

  @Override
  public void close() throws IOException {
    client.close();
  }
}
