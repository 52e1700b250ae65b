package dev.hourglass.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a node in this JVM over a given input, on a data directory, with a fixed wall clock: each
 * call is one node process's life (start, recover, answer everything, end of input).
 */
final class TestNode {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private final Path dataDir;
  private long clockMillis = Instant.parse("2026-03-10T10:00:00Z").toEpochMilli();

  /** Predictable ids (id-1, id-2, ...), so that one input can name the jobs it schedules. */
  private final AtomicInteger lastId = new AtomicInteger();

  private String stderr = "";
  private int exitCode;

  TestNode(Path dataDir) {
    this.dataDir = dataDir;
  }

  TestNode at(String isoTime) {
    clockMillis = Instant.parse(isoTime).toEpochMilli();
    return this;
  }

  long clockMillis() {
    return clockMillis;
  }

  /** One node life over the given lines; returns its output lines. */
  List<String> run(String... inputLines) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String input = String.join("\n", inputLines) + "\n";
    try (Node node =
            new Node(
                Hosts.opener(dataDir, () -> clockMillis),
                () -> clockMillis,
                () -> "id-" + lastId.incrementAndGet(),
                MAPPER);
        PrintStream outStream = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exitCode =
          NodeMain.serve(
              node,
              MAPPER,
              new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)),
              outStream,
              errStream);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    stderr = err.toString(StandardCharsets.UTF_8);
    String text = out.toString(StandardCharsets.UTF_8);
    return text.lines().toList();
  }

  /** Like {@link #run}, with each output line parsed. */
  List<JsonNode> runJson(String... inputLines) {
    List<JsonNode> parsed = new ArrayList<>();
    for (String line : run(inputLines)) {
      try {
        parsed.add(MAPPER.readTree(line));
      } catch (IOException e) {
        throw new AssertionError("node printed a line that is not JSON: " + line, e);
      }
    }
    return parsed;
  }

  String stderr() {
    return stderr;
  }

  int exitCode() {
    return exitCode;
  }
}
