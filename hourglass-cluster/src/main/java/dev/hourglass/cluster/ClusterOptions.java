package dev.hourglass.cluster;

import dev.hourglass.core.engine.EngineConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * Everything one replica needs to start.
 *
 * @param nodeId this replica's id; must be one of {@code peers}
 * @param peers the whole group, identical on every replica
 * @param dataDir this replica's own directory (Raft log, metadata, snapshots)
 * @param engineConfig must be identical on every replica, or their states diverge
 * @param tuning Raft timing and snapshot settings
 * @param clockMillis the wall clock the leader stamps commands with
 */
public record ClusterOptions(
    String nodeId,
    List<Peer> peers,
    Path dataDir,
    EngineConfig engineConfig,
    RaftTuning tuning,
    LongSupplier clockMillis) {

  /**
   * The Raft group id, fixed so that every replica derives the same one without configuration. One
   * group per cluster; a second cluster on the same hosts uses other ports.
   */
  public static final UUID GROUP_UUID = UUID.fromString("4867a5c1-0000-4000-8000-686f75726773");

  /**
   * Partition {@code p}'s Raft group id: {@link #GROUP_UUID} for partition 0 (so a cluster without
   * partitions keeps its group), and for the others the same id with {@code p} added to its low
   * bits, so every replica derives them without configuration.
   */
  public static RaftGroupId groupId(int p) {
    return RaftGroupId.valueOf(
        new UUID(GROUP_UUID.getMostSignificantBits(), GROUP_UUID.getLeastSignificantBits() + p));
  }

  public ClusterOptions {
    peers = List.copyOf(peers);
    if (peers.stream().noneMatch(p -> p.id().equals(nodeId))) {
      throw new IllegalArgumentException(
          "--node-id " + nodeId + " is not among --peers " + Peer.formatList(peers));
    }
  }

  public Peer self() {
    return peers.stream().filter(p -> p.id().equals(nodeId)).findFirst().orElseThrow();
  }
}
