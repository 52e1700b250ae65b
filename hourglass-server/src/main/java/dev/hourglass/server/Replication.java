package dev.hourglass.server;

import dev.hourglass.cluster.Peer;
import dev.hourglass.cluster.RaftTuning;
import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How a server runs as one replica of a Raft group instead of a single node.
 *
 * @param nodeId this replica's id; one of {@code peers}
 * @param peers the whole group (Raft endpoints), identical on every replica
 * @param httpByNode each replica's HTTP base URL by node id, so that a follower can redirect a call
 *     to the leader's API; a replica missing here is answered with 503 naming the leader
 * @param tuning Raft timing and snapshot settings
 */
public record Replication(
    String nodeId, List<Peer> peers, Map<String, URI> httpByNode, RaftTuning tuning) {

  public Replication {
    peers = List.copyOf(peers);
    httpByNode = Map.copyOf(httpByNode);
    if (peers.stream().noneMatch(p -> p.id().equals(nodeId))) {
      throw new IllegalArgumentException(
          "--node-id " + nodeId + " is not among --peers " + Peer.formatList(peers));
    }
    for (String id : httpByNode.keySet()) {
      if (peers.stream().noneMatch(p -> p.id().equals(id))) {
        throw new IllegalArgumentException(
            "--peers-http names "
                + id
                + ", which is not among"
                + " --peers "
                + Peer.formatList(peers));
      }
    }
  }

  public static Replication of(String nodeId, List<Peer> peers, Map<String, URI> httpByNode) {
    return new Replication(nodeId, peers, httpByNode, RaftTuning.DEFAULTS);
  }

  public Replication withTuning(RaftTuning t) {
    return new Replication(nodeId, peers, httpByNode, t);
  }

  /**
   * Parses {@code s1=http://127.0.0.1:7071,s2=127.0.0.1:7072,...} (the scheme defaults to http).
   *
   * @throws IllegalArgumentException naming the malformed entry
   */
  public static Map<String, URI> parseHttp(String spec) {
    Map<String, URI> out = new HashMap<>();
    for (String part : spec.split(",")) {
      String p = part.strip();
      int eq = p.indexOf('=');
      if (eq <= 0 || eq == p.length() - 1) {
        throw new IllegalArgumentException(
            "--peers-http entry must be id=host:port or" + " id=http://host:port: got '" + p + "'");
      }
      String address = p.substring(eq + 1);
      URI uri;
      try {
        uri = URI.create(address.contains("://") ? address : "http://" + address);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "--peers-http entry '" + p + "' is not a URL: " + e.getMessage(), e);
      }
      if (uri.getHost() == null || uri.getPort() < 1) {
        throw new IllegalArgumentException(
            "--peers-http entry '" + p + "' needs a host and a" + " port, e.g. s1=127.0.0.1:7071");
      }
      if (out.put(p.substring(0, eq), uri) != null) {
        throw new IllegalArgumentException("--peers-http names " + p.substring(0, eq) + " twice");
      }
    }
    return out;
  }
}
