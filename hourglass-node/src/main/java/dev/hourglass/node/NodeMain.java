package dev.hourglass.node;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hourglass.core.id.JobIds;
import dev.hourglass.node.JsonValueReader.Item;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * {@code hourglass node [--data-dir DIR]}: the stdio JSON-lines node of the message protocol in
 * docs/PROTOCOL.md.
 *
 * <p>Reads JSON values from {@code in} (one per line or pretty-printed), writes one reply line per
 * message to {@code out} (flushed per line), and diagnostics to {@code err} only. It recovers the
 * engine from the data directory before reading the first message, and returns at the end of the
 * input. Without {@code --data-dir} the log lives in a fresh temporary directory, deleted on
 * return.
 *
 * <p>Exit codes: 0 at the end of input, 1 when the log cannot be opened or written, 2 for a usage
 * error.
 */
public final class NodeMain {
  static final String USAGE = "usage: hourglass node [--data-dir DIR]";

  private NodeMain() {}

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** Runs a node over the given streams until the end of {@code in}; returns the exit code. */
  public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
    Path dataDir = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--data-dir") && i + 1 < args.length && dataDir == null) {
        dataDir = Path.of(args[++i]);
      } else if (args[i].equals("--help") || args[i].equals("-h")) {
        out.println(USAGE);
        return 0;
      } else {
        err.println("hourglass node: unexpected argument \"" + args[i] + "\"; " + USAGE);
        return 2;
      }
    }
    boolean temporary = dataDir == null;
    try {
      if (temporary) {
        dataDir = Files.createTempDirectory("hourglass-node-");
      } else {
        Files.createDirectories(dataDir);
      }
    } catch (IOException e) {
      err.println("hourglass node: cannot create the data directory " + dataDir + ": " + e);
      return 1;
    }
    try {
      return serve(dataDir, in, out, err);
    } finally {
      if (temporary) {
        deleteTree(dataDir, err);
      }
    }
  }

  private static int serve(Path dataDir, InputStream in, PrintStream out, PrintStream err) {
    ObjectMapper mapper = new ObjectMapper();
    JobIds jobIds = JobIds.withThreadLocalRandom(System::currentTimeMillis);
    LongSupplier wallClock = System::currentTimeMillis;
    try (Node node = new Node(Hosts.opener(dataDir, wallClock), wallClock, jobIds::next, mapper)) {
      err.println("hourglass node: data-dir=" + dataDir);
      return serve(node, mapper, in, out, err);
    } catch (IOException e) {
      err.println("hourglass node: data-dir=" + dataDir + ": " + e);
      return 1;
    }
  }

  /**
   * Recovers the node's engine, then answers every input item until the end of the input or a
   * failed log write. The caller closes the node.
   */
  static int serve(Node node, ObjectMapper mapper, InputStream in, PrintStream out, PrintStream err)
      throws IOException {
    long started = System.nanoTime();
    node.start();
    err.printf(
        "hourglass node: recovered jobs=%d in %d ms%n",
        node.jobsHeld(), (System.nanoTime() - started) / 1_000_000);
    JsonValueReader reader =
        new JsonValueReader(new InputStreamReader(in, StandardCharsets.UTF_8), mapper);
    for (Item item = reader.next(); item != null; item = reader.next()) {
      ObjectNode reply = node.handle(item);
      if (reply != null) {
        out.print(PythonJson.dumps(reply) + "\n");
        out.flush();
      }
      if (node.failed()) {
        err.println("hourglass node: stopping: " + reply.get("text").asText());
        return 1;
      }
    }
    return 0;
  }

  /** Best effort: a leftover temporary directory is harmless, so failures are only reported. */
  private static void deleteTree(Path root, PrintStream err) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths
          .sorted(Comparator.reverseOrder())
          .forEach(
              p -> {
                try {
                  Files.deleteIfExists(p);
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              });
    } catch (IOException | UncheckedIOException e) {
      err.println(
          "hourglass node: could not delete the temporary data directory " + root + ": " + e);
    }
  }
}
