package dev.hourglass.cluster;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.regex.Pattern;

/** One replica of the group: its id and the host:port its Raft (gRPC) endpoint listens on. */
public record Peer(String id, String host, int port) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");

  public Peer {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("peer id must match " + ID + ": id=" + id);
    }
    if (port < 1 || port > 65_535) {
      throw new IllegalArgumentException(
          "peer port outside [1, 65535]: id=" + id + " port=" + port);
    }
  }

  public String address() {
    return host + ":" + port;
  }

  /**
   * {@code n} peers {@code s1..sn} on 127.0.0.1, on ports the OS chose and that were released again
   * a moment before a replica binds them (for local clusters in tests and benchmarks).
   */
  public static List<Peer> freeOnLoopback(int n) throws java.io.IOException {
    List<Peer> out = new ArrayList<>();
    List<java.net.ServerSocket> held = new ArrayList<>();
    try {
      for (int i = 0; i < n; i++) {
        var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
        held.add(s);
        out.add(new Peer("s" + (i + 1), "127.0.0.1", s.getLocalPort()));
      }
    } finally {
      for (var s : held) {
        s.close();
      }
    }
    return List.copyOf(out);
  }

  /**
   * Parses {@code s1=127.0.0.1:9001,s2=127.0.0.1:9002,...}.
   *
   * @throws IllegalArgumentException on a malformed entry or a duplicate id
   */
  public static List<Peer> parseList(String spec) {
    List<Peer> peers = new ArrayList<>();
    var ids = new HashSet<String>();
    for (String part : spec.split(",")) {
      String p = part.strip();
      int eq = p.indexOf('=');
      int colon = p.lastIndexOf(':');
      if (eq <= 0 || colon < eq + 2 || colon == p.length() - 1) {
        throw new IllegalArgumentException(
            "peer must be id=host:port: got '" + p + "' in --peers " + spec);
      }
      int port;
      try {
        port = Integer.parseInt(p.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("peer port is not a number: '" + p + "'", e);
      }
      Peer peer = new Peer(p.substring(0, eq), p.substring(eq + 1, colon), port);
      if (!ids.add(peer.id())) {
        throw new IllegalArgumentException(
            "duplicate peer id=" + peer.id() + " in --peers " + spec);
      }
      peers.add(peer);
    }
    return List.copyOf(peers);
  }

  public static String formatList(List<Peer> peers) {
    var sb = new StringBuilder();
    for (Peer p : peers) {
      if (!sb.isEmpty()) {
        sb.append(',');
      }
      sb.append(p.id()).append('=').append(p.address());
    }
    return sb.toString();
  }
}
