package dev.hourglass.client;

import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import dev.hourglass.wal.FsyncPolicy;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/** A real embedded server on 127.0.0.1, port 0, and a client of it, for tests. */
public final class TestServer implements AutoCloseable {
  public final HourglassServer server;
  public final HourglassClient client;

  private TestServer(HourglassServer server) {
    this.server = server;
    this.client =
        HourglassClient.builder(server.uri().toString())
            .requestTimeout(Duration.ofSeconds(10))
            .build();
  }

  public static TestServer start(Path dir) throws IOException {
    return new TestServer(
        HourglassServer.start(
            ServerOptions.of(dir).withPort(0).withFsync(new FsyncPolicy.NeverUnsafeForTests())));
  }

  public String url() {
    return server.uri().toString();
  }

  @Override
  public void close() {
    client.close();
    server.stop();
  }
}
