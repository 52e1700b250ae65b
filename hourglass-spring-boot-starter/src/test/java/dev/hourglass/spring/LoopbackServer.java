package dev.hourglass.spring;

import dev.hourglass.server.HourglassServer;
import dev.hourglass.server.ServerOptions;
import dev.hourglass.wal.FsyncPolicy;
import java.io.IOException;
import java.nio.file.Path;

/** A real embedded server on 127.0.0.1 that can stop and start again on the same port and data. */
final class LoopbackServer implements AutoCloseable {
  private final Path dir;
  private HourglassServer server;
  private int port;

  private LoopbackServer(Path dir) {
    this.dir = dir;
  }

  static LoopbackServer start(Path dir) throws IOException {
    LoopbackServer s = new LoopbackServer(dir);
    s.server = HourglassServer.start(options(dir, 0));
    s.port = s.server.port();
    return s;
  }

  private static ServerOptions options(Path dir, int port) {
    return ServerOptions.of(dir).withPort(port).withFsync(new FsyncPolicy.NeverUnsafeForTests());
  }

  String url() {
    return "http://127.0.0.1:" + port;
  }

  void stop() {
    server.stop();
  }

  /** Starts again on the port it had, over the data it kept. */
  void restart() throws IOException {
    server = HourglassServer.start(options(dir, port));
  }

  @Override
  public void close() {
    server.stop();
  }
}
