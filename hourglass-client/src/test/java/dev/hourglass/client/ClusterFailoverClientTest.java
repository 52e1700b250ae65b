package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.worker.Worker;
import dev.hourglass.testkit.LocalReplicaSet;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Goal: a client and a worker given every replica's URL ride through the leader's SIGKILL without
 * an error reaching the caller: calls move to the new leader by themselves, and every submitted job
 * runs to success.
 */
class ClusterFailoverClientTest {
  static final Duration WAIT = Duration.ofSeconds(90);

  @TempDir Path dir;
  LocalReplicaSet replicas;
  HourglassClient client;
  Worker worker;

  @AfterEach
  void tearDown() {
    if (worker != null) {
      worker.close();
    }
    if (client != null) {
      client.close();
    }
    if (replicas != null) {
      replicas.close();
    }
  }

  @Test
  void clientAndWorkerFollowTheLeaderThroughAKill() throws Exception {
    replicas =
        new LocalReplicaSet(dir, 3, List.of("-Xmx256m", "-XX:TieredStopAtLevel=1"), List.of());
    replicas.startAll();
    String urls = replicas.urls().stream().map(URI::toString).collect(Collectors.joining(","));
    client = HourglassClient.builder(urls).failoverTimeout(Duration.ofSeconds(60)).build();
    Set<String> ran = ConcurrentHashMap.newKeySet();
    worker =
        Worker.builder(client)
            .workerId("w1")
            .capacity(4)
            .pollWait(Duration.ofSeconds(1))
            .handler(
                "t",
                ctx -> {
                  ran.add(ctx.jobId());
                  return Map.of();
                })
            .build()
            .start();

    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      ids.add(client.submit(JobRequest.builder("t").build()).jobId()); // waits for a leader
    }
    await().atMost(WAIT).until(() -> ran.containsAll(ids));

    URI leader = client.baseUrl();
    int victim = replicas.urls().indexOf(leader);
    assertThat(victim).as("the client talks to a replica it was given").isNotNegative();
    replicas.kill(victim);
    for (int i = 0; i < 20; i++) {
      ids.add(client.submit(JobRequest.builder("t").build()).jobId()); // no exception: fails over
    }
    assertThat(client.baseUrl()).isNotEqualTo(leader);

    await().atMost(WAIT).until(() -> ran.containsAll(ids));
    for (String id : ids) {
      assertThat(client.job(id).state()).as(id).isEqualTo(JobState.SUCCEEDED);
    }
  }
}
