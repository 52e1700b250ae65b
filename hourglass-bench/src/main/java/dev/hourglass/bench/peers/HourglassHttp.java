package dev.hourglass.bench.peers;

import dev.hourglass.client.HourglassClient;
import dev.hourglass.client.JobRequest;
import dev.hourglass.client.worker.Worker;
import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The product path: the Hourglass HTTP server (fsync always) on a free loopback port, submits
 * through {@link HourglassClient} and execution by the SDK {@link Worker}, all in this JVM, so the
 * HTTP client, the server and the handlers share its cores.
 *
 * <p>Settings: server defaults (group-committed apply loop, fsync always); the worker long-polls
 * with {@code capacity = }{@value #PREFETCH_PER_THREAD}{@code x threads}: it leases only into free
 * slots, and its handlers run on virtual threads, so a large capacity is how the SDK is meant to
 * batch leases (with capacity = threads = 8 it leased at most 8 jobs per round trip of two HTTP
 * requests and two group commits: 836 jobs/s). Default lease and poll wait. Due-now submits go
 * {@value #BATCH} per {@code jobs:batch} request.
 */
final class HourglassHttp implements Contender {
  private static final int BATCH = 1_000;
  static final int PREFETCH_PER_THREAD = HourglassEmbedded.PREFETCH_PER_THREAD;
  private static final String TASK = "noop";
  private HourglassServer server;
  private HourglassClient client;
  private Worker worker;

  @Override
  public String name() {
    return "Hourglass server over HTTP + SDK Worker";
  }

  @Override
  public String durability() {
    return "write-ahead log, fsync before every HTTP answer, group commit";
  }

  @Override
  public String settings(int threads) {
    return "server defaults on 127.0.0.1; SDK Worker capacity="
        + threads * PREFETCH_PER_THREAD
        + " (leases into free slots only, handlers on virtual threads); submits "
        + BATCH
        + " per jobs:batch request";
  }

  @Override
  public void open(Path dir, int threads) throws Exception {
    // Helidon installs a JVM-wide deserialization allow-list when its server starts, which would
    // then refuse Quartz's JDBC store its own JobDataMap blobs for the rest of this JVM; the
    // peers share the JVM, so the list also allows what they deserialize.
    if (System.getProperty("helidon.serialFilter.pattern") == null) {
      System.setProperty("helidon.serialFilter.pattern", "org.quartz.**;java.util.**;java.lang.**");
    }
    server = HourglassServer.start(ServerOptions.of(dir).withPort(0));
    client =
        HourglassClient.builder(server.uri().toString())
            .requestTimeout(Duration.ofSeconds(60))
            .build();
    worker =
        Worker.builder(client)
            .workerId("bench-worker")
            .capacity(threads * PREFETCH_PER_THREAD)
            .handler(
                TASK,
                ctx -> {
                  Recorder.current.ran(ctx.jobId());
                  return null;
                })
            .build();
  }

  @Override
  public void start() {
    worker.start();
  }

  @Override
  public void submit(String tag, int first, int count, long[] dueMillis) {
    List<JobRequest> batch = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      var b = JobRequest.builder(TASK).jobId(tag + "-" + (first + i));
      if (dueMillis != null) {
        b.runAt(Instant.ofEpochMilli(dueMillis[i]));
      }
      batch.add(b.build());
      if (batch.size() == BATCH || i == count - 1) {
        if (batch.size() == 1) {
          client.submit(batch.get(0));
        } else {
          client.submitBatch(batch);
        }
        batch = new ArrayList<>();
      }
    }
  }

  @Override
  public void close() {
    if (worker != null) {
      worker.close();
    }
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }
}
