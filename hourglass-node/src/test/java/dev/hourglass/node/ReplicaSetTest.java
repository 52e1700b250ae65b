package dev.hourglass.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaSetTest {

  @Test
  void theFirstReplicaUpLeadsAndEachLeaderCrashRaisesTheTerm() {
    ReplicaSet set = ReplicaSet.of(List.of("s1", "s2", "s3", "s4"));
    assertThat(set.leader()).isEqualTo("s1");
    assertThat(set.term()).isEqualTo(1);
    ReplicaSet.Crash follower = set.crash("s3");
    assertThat(follower).isInstanceOf(ReplicaSet.FollowerDown.class);
    assertThat(follower.after().term()).isEqualTo(1);
    ReplicaSet.Crash first = follower.after().crash("s1");
    assertThat(first).isEqualTo(new ReplicaSet.LeaderReplaced("s1", first.after()));
    assertThat(first.after().leader()).isEqualTo("s2");
    assertThat(first.after().term()).isEqualTo(2);
    ReplicaSet.Crash second = first.after().crash("s2");
    assertThat(second.after().leader()).isEqualTo("s4");
    assertThat(second.after().term()).isEqualTo(3);
    ReplicaSet.Crash last = second.after().crash("s4");
    assertThat(last).isInstanceOf(ReplicaSet.NoneLeft.class);
    assertThat(last.after().leader()).isNull();
    assertThatThrownBy(() -> last.after().crash("s4"))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("down already");
  }

  @Test
  void anEmptySetHasNoLeaderAndNamesTheFix() {
    assertThat(ReplicaSet.of(List.of())).isEqualTo(ReplicaSet.NONE);
    assertThatThrownBy(() -> ReplicaSet.NONE.crash("s1")).hasMessageContaining("send init");
  }
}
