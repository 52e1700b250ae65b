package dev.hourglass.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.client.internal.Json;
import java.util.ArrayList;
import java.util.List;

/**
 * One replica's view of its cluster ({@code GET /api/v1/cluster}); a single node says {@code mode}
 * "single" and has no members.
 *
 * @param mode "cluster" or "single"
 * @param nodeId the replica that answered
 * @param leader the leader's node id as that replica knows it, or null while there is none
 * @param term the Raft term (elections so far)
 * @param commitIndex the highest log index known committed
 * @param lastAppliedIndex the highest log index applied to the answering replica's engine
 * @param members every member, in configuration order
 * @param partitions with partitions, each partition's Raft group as the answering replica sees it
 *     (the fields above are partition 0's); empty without partitions
 */
public record ClusterStatus(
    String mode,
    String nodeId,
    String leader,
    long term,
    long commitIndex,
    long lastAppliedIndex,
    List<Member> members,
    List<Partition> partitions) {

  /** A status without partitions. */
  public ClusterStatus(
      String mode,
      String nodeId,
      String leader,
      long term,
      long commitIndex,
      long lastAppliedIndex,
      List<Member> members) {
    this(mode, nodeId, leader, term, commitIndex, lastAppliedIndex, members, List.of());
  }

  /**
   * One partition's Raft group.
   *
   * @param partition its number
   * @param leader its leader's node id, or null while there is none
   * @param term its Raft term
   * @param commitIndex the highest index of its log known committed
   * @param lastAppliedIndex the highest index applied on the answering replica
   * @param members its members; match index and lag are known only when its leader answered
   */
  public record Partition(
      int partition,
      String leader,
      long term,
      long commitIndex,
      long lastAppliedIndex,
      List<Member> members) {}

  /**
   * One member.
   *
   * @param nodeId its id
   * @param address its Raft endpoint
   * @param http its API base URL, or null when not configured
   * @param role LEADER, FOLLOWER, CANDIDATE; UNKNOWN when the answering replica cannot tell
   * @param matchIndex the highest index known replicated on it; -1 unless the leader answered
   * @param lag entries it is behind the commit index; null unless the leader answered
   */
  public record Member(
      String nodeId, String address, String http, String role, long matchIndex, Long lag) {}

  static ClusterStatus of(JsonNode n) {
    List<Partition> partitions = new ArrayList<>();
    for (JsonNode p : n.path("partitions")) {
      partitions.add(
          new Partition(
              p.path("partition").asInt(),
              Json.text(p, "leader"),
              p.path("term").asLong(),
              p.path("commit_index").asLong(-1),
              p.path("last_applied_index").asLong(-1),
              members(p)));
    }
    return new ClusterStatus(
        Json.text(n, "mode"),
        Json.text(n, "node_id"),
        Json.text(n, "leader"),
        n.path("term").asLong(),
        n.path("commit_index").asLong(-1),
        n.path("last_applied_index").asLong(-1),
        members(n),
        List.copyOf(partitions));
  }

  private static List<Member> members(JsonNode n) {
    List<Member> members = new ArrayList<>();
    for (JsonNode m : n.path("members")) {
      members.add(
          new Member(
              Json.text(m, "node_id"),
              Json.text(m, "address"),
              Json.text(m, "http"),
              Json.text(m, "role"),
              m.path("match_index").asLong(-1),
              m.path("lag").isNumber() ? m.get("lag").asLong() : null));
    }
    return List.copyOf(members);
  }
}
