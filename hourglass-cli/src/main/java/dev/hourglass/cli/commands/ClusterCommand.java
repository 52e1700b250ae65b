package dev.hourglass.cli.commands;

import dev.hourglass.client.ClusterStatus;
import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.PartitionInfo;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code hourglass cluster status}: members, leader, term, commit index and each one's lag. */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description = "Show a replicated cluster: members, leader, term, commit index, lag.",
    subcommands = ClusterCommand.Status.class)
public final class ClusterCommand implements Runnable {
  @Override
  public void run() {
    new picocli.CommandLine(this).usage(System.out);
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description = {
        "Ask a replica (--server, any of them, comma-separated for several) and,"
            + " when it is a follower, the leader it names: only the leader knows every member's"
            + " lag. With partitions, one row per partition: its leader, term, commit index and"
            + " each member's lag, as that partition's leader reports them."
      })
  public static final class Status extends ClientCommands.Base {
    @Override
    int run(HourglassClient client, PrintStream out) {
      ClusterStatus asked = client.clusterStatus();
      ClusterStatus s = asked;
      if ("cluster".equals(s.mode()) && s.leader() != null && !s.leader().equals(s.nodeId())) {
        String leaderHttp =
            asked.members().stream()
                .filter(m -> m.nodeId().equals(asked.leader()))
                .map(ClusterStatus.Member::http)
                .filter(h -> h != null)
                .findFirst()
                .orElse(null);
        if (leaderHttp != null) {
          try (var leader = HourglassClient.builder(leaderHttp).token(conn.token).build()) {
            s = leader.clusterStatus();
          } catch (RuntimeException unreachable) {
            out.println(
                "(the leader "
                    + s.leader()
                    + " at "
                    + leaderHttp
                    + " did not answer: "
                    + unreachable.getMessage()
                    + "; showing "
                    + s.nodeId()
                    + "'s view)");
          }
        }
      }
      if (conn.json()) {
        Output.json(out, s);
        return 0;
      }
      if (!"cluster".equals(s.mode())) {
        out.println("single node (not replicated): " + client.baseUrl());
        return 0;
      }
      out.printf(
          "leader %s   term %d   commit index %d   (as seen by %s)%n",
          s.leader() == null ? "none (election under way, or no majority)" : s.leader(),
          s.term(),
          s.commitIndex(),
          s.nodeId());
      var t = new Table("NODE", "ROLE", "RAFT", "HTTP", "MATCH INDEX", "LAG");
      for (ClusterStatus.Member m : s.members()) {
        t.row(
            m.nodeId(),
            m.role(),
            m.address(),
            m.http(),
            m.matchIndex() < 0 ? "?" : m.matchIndex(),
            m.lag() == null ? "?" : m.lag());
      }
      t.print(out);
      if (!s.partitions().isEmpty()) {
        out.println();
        partitions(s, out);
      }
      return 0;
    }

    /**
     * One row per partition, each as its own leader sees it (a replica knows its followers' lag
     * only in the groups it leads), else as {@code s}'s replica sees it.
     */
    private void partitions(ClusterStatus s, PrintStream out) {
      Map<String, ClusterStatus> byLeader = new HashMap<>();
      byLeader.put(s.nodeId(), s);
      var t = new Table("PARTITION", "LEADER", "TERM", "COMMIT INDEX", "LAG BY MEMBER");
      for (ClusterStatus.Partition p : s.partitions()) {
        ClusterStatus.Partition seen = p;
        ClusterStatus view =
            p.leader() == null ? null : byLeader.computeIfAbsent(p.leader(), id -> statusOf(s, id));
        if (view != null && p.partition() < view.partitions().size()) {
          seen = view.partitions().get(p.partition());
        }
        List<String> lags = new ArrayList<>();
        for (ClusterStatus.Member m : seen.members()) {
          lags.add(m.nodeId() + "=" + (m.lag() == null ? "?" : m.lag()));
        }
        t.row(
            p.partition(),
            seen.leader() == null ? "none" : seen.leader(),
            seen.term(),
            seen.commitIndex(),
            String.join(" ", lags));
      }
      t.print(out);
    }

    /** Replica {@code id}'s own status, asked at the API address {@code s} lists; or null. */
    private ClusterStatus statusOf(ClusterStatus s, String id) {
      String http =
          s.members().stream()
              .filter(m -> m.nodeId().equals(id))
              .map(ClusterStatus.Member::http)
              .filter(h -> h != null)
              .findFirst()
              .orElse(null);
      if (http == null) {
        return null;
      }
      try (var replica = HourglassClient.builder(http).token(conn.token).build()) {
        return replica.clusterStatus();
      } catch (RuntimeException unreachable) {
        return null;
      }
    }
  }

  /** {@code hourglass partitions}: each partition's counts by state and log position. */
  @Command(
      name = "partitions",
      mixinStandardHelpOptions = true,
      description = "Show the node's partitions: jobs per state and log position of each.")
  public static final class PartitionsCommand extends ClientCommands.Base {
    @Override
    int run(HourglassClient client, PrintStream out) {
      var all = client.partitions();
      if (conn.json()) {
        Output.json(out, all);
        return 0;
      }
      var t =
          new Table(
              "PARTITION",
              "READY",
              "RUNNING",
              "SCHEDULED",
              "PENDING",
              "DEAD",
              "SUCCEEDED",
              "LOG POSITION");
      for (PartitionInfo p : all) {
        t.row(
            p.partition(),
            p.counts().getOrDefault("READY", 0L),
            p.counts().getOrDefault("RUNNING", 0L),
            p.counts().getOrDefault("SCHEDULED", 0L),
            p.counts().getOrDefault("PENDING", 0L),
            p.counts().getOrDefault("DEAD", 0L),
            p.counts().getOrDefault("SUCCEEDED", 0L),
            p.logPosition());
      }
      t.print(out);
      return 0;
    }
  }
}
