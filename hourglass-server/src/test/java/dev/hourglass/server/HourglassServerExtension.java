package dev.hourglass.server;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real {@link HourglassServer} on 127.0.0.1, port 0, over a fresh data directory of its own, for
 * the tests of the server, the SDK and the CLI (this class reaches the SDK's and the CLI's tests
 * through the server's test jar).
 *
 * <pre>
 *   &#64;RegisterExtension
 *   static final HourglassServerExtension server = HourglassServerExtension.withOptions(o -> o
 *       .withFsync(new FsyncPolicy.NeverUnsafeForTests()));
 * </pre>
 *
 * <p>On a static field, one server serves the whole class (started before the first test, stopped
 * after the last); on an instance field, each test gets its own. The options start from {@code
 * ServerOptions.of(dataDir).withPort(0)}. Not thread-safe: JUnit drives it from one thread; the
 * server it starts is thread-safe.
 */
public final class HourglassServerExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {
  private final UnaryOperator<ServerOptions> options;
  private Path dataDir;
  private HourglassServer server;

  /** True when started by {@link #beforeAll}: then it outlives each test and stops after all. */
  private boolean perClass;

  private HourglassServerExtension(UnaryOperator<ServerOptions> options) {
    this.options = options;
  }

  /** A server with the default options (but port 0). */
  public static HourglassServerExtension defaults() {
    return new HourglassServerExtension(UnaryOperator.identity());
  }

  /** A server whose options are {@code customize} applied to the defaults (with port 0). */
  public static HourglassServerExtension withOptions(UnaryOperator<ServerOptions> customize) {
    return new HourglassServerExtension(customize);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws IOException {
    perClass = true;
    start();
  }

  @Override
  public void beforeEach(ExtensionContext context) throws IOException {
    if (!perClass) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws IOException {
    if (!perClass) {
      close();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    close();
  }

  private void start() throws IOException {
    dataDir = Files.createTempDirectory("hourglass-test-server");
    server =
        HourglassServer.start(options.apply(ServerOptions.of(dataDir.resolve("data")).withPort(0)));
  }

  private void close() throws IOException {
    if (server != null) {
      server.stop();
      server = null;
    }
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
      dataDir = null;
    }
  }

  /** The running server; fails outside a test's lifetime. */
  public HourglassServer get() {
    if (server == null) {
      throw new IllegalStateException(
          "no server: the extension starts one per class (static"
              + " field) or per test (instance field), and this call came outside that lifetime");
    }
    return server;
  }

  public URI uri() {
    return get().uri();
  }

  /** The base URL, e.g. {@code http://127.0.0.1:41234}, as the SDK and the CLI take it. */
  public String url() {
    return uri().toString();
  }

  public int port() {
    return get().port();
  }

  public ServerOptions options() {
    return get().options();
  }

  /** Stops the server now (a test of shutdown); the extension's own stop then does nothing. */
  public void stop() {
    get().stop();
  }

  /**
   * A JSON client of this server, usable in a field initializer: it finds the server's address at
   * each request, so it follows the server the extension starts for each test.
   */
  HttpTestClient http() {
    return new HttpTestClient(this::uri, null);
  }
}
