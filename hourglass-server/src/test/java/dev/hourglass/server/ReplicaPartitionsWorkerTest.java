package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hourglass.cluster.Peer;
import dev.hourglass.runtime.PartitionRouting;
import dev.hourglass.testkit.LocalReplicaSet;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a worker connected to one replica of a three-replica cluster with two partitions, a replica
 * that leads none of them (every lease and report it makes is forwarded): a cancel sent through
 * another replica wakes its parked signal poll, and its capacity holds over both partitions.
 * In-process replicas (one JVM), so that the cluster starts in seconds.
 */
class ReplicaPartitionsWorkerTest {
  static final int PARTITIONS = 2;

  /** Generous for a loaded machine; the point is "long before the poll's own 60 s wait". */
  static final Duration PROMPTLY = Duration.ofSeconds(30);

  static final AtomicInteger SEQ = new AtomicInteger();

  @TempDir static Path dir;
  static final List<HourglassServer> servers = new ArrayList<>();

  /** Replica i's client; partition p is led by replica p (priorities), so replica 2 leads none. */
  static final List<HttpTestClient> http = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    List<Integer> ports = LocalReplicaSet.freePorts(6);
    List<Peer> peers = new ArrayList<>();
    Map<String, URI> httpByNode = new HashMap<>();
    for (int i = 0; i < 3; i++) {
      peers.add(new Peer("s" + (i + 1), "127.0.0.1", ports.get(i)));
      httpByNode.put("s" + (i + 1), URI.create("http://127.0.0.1:" + ports.get(3 + i)));
    }
    for (int i = 0; i < 3; i++) {
      var options =
          ServerOptions.of(dir.resolve("s" + (i + 1)))
              .withPort(ports.get(3 + i))
              .withPartitions(PARTITIONS)
              .withReplication(Replication.of("s" + (i + 1), peers, httpByNode));
      servers.add(HourglassServer.start(options));
      http.add(new HttpTestClient(servers.get(i).uri()));
    }
    // Every replica serves, and each partition is led by the replica its priority names.
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              for (HttpTestClient h : http) {
                if (h.get("/readyz").status() != 200) {
                  return false;
                }
              }
              JsonNode ps = http.get(2).get("/api/v1/cluster").body().path("partitions");
              for (int p = 0; p < PARTITIONS; p++) {
                if (!ps.path(p).path("leader").asText().equals("s" + (p + 1))) {
                  return false;
                }
              }
              return true;
            });
  }

  @AfterAll
  static void stop() {
    servers.forEach(HourglassServer::stop);
  }

  /** Submits a job to {@code queue} in {@code partition}, through replica {@code via}. */
  static String submitIn(int partition, String queue, int via) {
    for (int i = 0; ; i++) {
      String id = queue + "-" + i;
      if (PartitionRouting.partitionOfId(id, PARTITIONS) == partition) {
        var r =
            http.get(via)
                .post(
                    "/api/v1/jobs",
                    "{\"task\":\"t\",\"job_id\":\"" + id + "\",\"queue\":\"" + queue + "\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(201);
        return id;
      }
    }
  }

  static List<JsonNode> leaseNow(HttpTestClient h, String worker, int max, String queue) {
    var r =
        h.post(
            "/api/v1/lease",
            "{\"worker_id\":\""
                + worker
                + "\",\"max\":"
                + max
                + ",\"wait_ms\":0,\"lease_ms\":600000,\"queues\":[\""
                + queue
                + "\"]}");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    r.body().get("assignments").forEach(out::add);
    return out;
  }

  @Test
  void aCancelThroughAnotherReplicaWakesASignalPollParkedHere() throws Exception {
    String q = "sig" + SEQ.incrementAndGet();
    HttpTestClient here = http.get(2);
    String job = submitIn(0, q, 2);
    var leased = leaseNow(here, "sw", 1, q);
    assertThat(leased).hasSize(1);
    int generation = leased.get(0).get("generation").asInt();
    var poll =
        CompletableFuture.supplyAsync(
            () ->
                here.post(
                    "/api/v1/workers/sw/signals",
                    "{\"leases\":[{\"job_id\":\""
                        + job
                        + "\",\"generation\":"
                        + generation
                        + "}],\"wait_ms\":60000}"));
    await()
        .atMost(PROMPTLY)
        .until(
            () ->
                poll.isDone()
                    || here.get("/api/v1/stats").body().get("parked_signal_polls").asInt() >= 1);
    assertThat(poll).as("the signal poll, before the cancel").isNotDone();
    // Through partition 0's leader, s1: this replica hears of it only by applying it.
    var cancel = http.get(0).post("/api/v1/jobs/" + job + "/cancel", "{}");
    assertThat(cancel.status()).as(cancel.text()).isEqualTo(200);
    var r = poll.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    JsonNode signals = r.body().get("signals");
    assertThat(signals).as(r.text()).hasSize(1);
    assertThat(signals.get(0).get("job_id").asText()).isEqualTo(job);
    assertThat(signals.get(0).get("code").asText()).as(r.text()).isEqualTo("CANCELLED");
  }

  @Test
  void aWorkersCapacityHoldsOverPartitionsLedByOtherReplicas() {
    String q = "cap" + SEQ.incrementAndGet();
    for (int p = 0; p < PARTITIONS; p++) {
      submitIn(p, q, p);
      submitIn(p, q + "b", p);
    }
    HttpTestClient here = http.get(2);
    assertThat(leaseNow(here, "cw", 1, q)).hasSize(1); // registers it with capacity 1
    for (int i = 0; i < 4; i++) {
      assertThat(leaseNow(here, "cw", 3, q)).as("poll %d holding its one job", i).isEmpty();
    }
  }
}
