package dev.hourglass.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The simulated replica set of the stdio protocol's {@code leader_crash}: replicas in the order
 * {@code init} listed them, which of them are down, the leader and the term.
 *
 * <p>The rule is deterministic and needs no messages: the leader is always the first replica in
 * list order that is up. It starts as the first replica in term 1; when the leader crashes, the
 * next one up takes over and the term goes up by one (s1 to s2 in term 2, then s3 in term 3). The
 * seed's hint says "highest id", but its test expects s2 after s1; the test wins. This is a model
 * for the protocol only; the cluster mode elects leaders with Raft.
 *
 * <p>Immutable: every transition returns a new set.
 *
 * @param leader null when no replica is up
 */
record ReplicaSet(List<String> replicas, Set<String> down, String leader, long term) {

  static final ReplicaSet NONE = new ReplicaSet(List.of(), Set.of(), null, 0);

  ReplicaSet {
    replicas = List.copyOf(replicas);
    down = Set.copyOf(down);
  }

  /** A fresh set: every replica up, the first one leader in term 1. */
  static ReplicaSet of(List<String> replicas) {
    if (replicas.isEmpty()) {
      return NONE;
    }
    return new ReplicaSet(replicas, Set.of(), replicas.get(0), 1);
  }

  /** What a crash did. */
  sealed interface Crash permits LeaderReplaced, FollowerDown, NoneLeft {
    ReplicaSet after();
  }

  /** The leader crashed and {@code after.leader()} took over in {@code after.term()}. */
  record LeaderReplaced(String oldLeader, ReplicaSet after) implements Crash {}

  /** A replica that was not leader crashed; leader and term stay. */
  record FollowerDown(String replica, ReplicaSet after) implements Crash {}

  /** The last replica up crashed: no leader can be elected. */
  record NoneLeft(String oldLeader, ReplicaSet after) implements Crash {}

  /**
   * Crashes one replica.
   *
   * @throws ProtocolException if it is not in the set, or is down already
   */
  Crash crash(String replica) {
    if (!replicas.contains(replica)) {
      throw new ProtocolException(
          ProtocolException.ErrorKind.KEY_DOES_NOT_EXIST,
          "replica "
              + replica
              + " is not in the replica set "
              + replicas
              + (replicas.isEmpty() ? " (send init with \"replicas\" first)" : ""));
    }
    if (down.contains(replica)) {
      throw new ProtocolException(
          ProtocolException.ErrorKind.PRECONDITION_FAILED,
          "replica " + replica + " is down already; replicas up: " + up());
    }
    Set<String> nowDown = new TreeSet<>(down);
    nowDown.add(replica);
    if (!replica.equals(leader)) {
      return new FollowerDown(replica, new ReplicaSet(replicas, nowDown, leader, term));
    }
    String next = replicas.stream().filter(r -> !nowDown.contains(r)).findFirst().orElse(null);
    ReplicaSet after = new ReplicaSet(replicas, nowDown, next, next == null ? term : term + 1);
    return next == null ? new NoneLeft(replica, after) : new LeaderReplaced(replica, after);
  }

  private List<String> up() {
    List<String> up = new ArrayList<>(replicas);
    up.removeAll(down);
    return up;
  }
}
