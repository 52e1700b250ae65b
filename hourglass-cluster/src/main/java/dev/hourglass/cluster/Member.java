package dev.hourglass.cluster;

/**
 * One member of the group as this replica sees it, for {@code GET /api/v1/cluster}.
 *
 * @param role LEADER, FOLLOWER or CANDIDATE as known here; UNKNOWN for other members when this
 *     replica is not the leader (only the leader tracks its followers)
 * @param matchIndex the highest log index known to be replicated on the member; -1 when unknown
 *     (only the leader knows it for others)
 * @param commitIndex the member's commit index as last reported to this replica; -1 when unknown
 */
public record Member(
    String nodeId, String address, String role, long matchIndex, long commitIndex) {}
