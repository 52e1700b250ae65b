package dev.hourglass.cli.commands;

import dev.hourglass.client.JobRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * The options that describe a job, shared by {@code hourglass submit} and {@code hourglass
 * schedules create} (whose firings create jobs): payload, queue, priority and the retry policy. A
 * picocli mixin; {@link #applyTo} sets on a request builder only the options given, so the server's
 * defaults apply to the rest.
 */
final class JobOptions {
  @ArgGroup(exclusive = true)
  PayloadSource payload;

  static final class PayloadSource {
    @Option(names = "--payload", paramLabel = "JSON", description = "Payload as JSON text.")
    String json;

    @Option(names = "--payload-file", paramLabel = "FILE", description = "Payload from a file.")
    Path file;
  }

  @Option(names = "--queue", description = "Queue (default: default).")
  String queue;

  @Option(names = "--priority", description = "Higher runs first (default 0).")
  Integer priority;

  @Option(names = "--max-attempts", description = "Attempts before the DLQ (default 3).")
  Integer maxAttempts;

  @Option(names = "--backoff", paramLabel = "DURATION", description = "Retry backoff base.")
  String backoff;

  @Option(names = "--timeout", paramLabel = "DURATION", description = "Per-attempt timeout.")
  String timeout;

  /**
   * Sets the given options on {@code b}.
   *
   * @throws IllegalArgumentException if the payload file cannot be read or a duration is malformed
   */
  void applyTo(JobRequest.Builder b) {
    if (payload != null && payload.json != null) {
      b.payloadJson(payload.json);
    } else if (payload != null) {
      try {
        b.payloadJson(Files.readString(payload.file, StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "--payload-file " + payload.file + " cannot be" + " read: " + e.getMessage());
      }
    }
    if (queue != null) {
      b.queue(queue);
    }
    if (priority != null) {
      b.priority(priority);
    }
    if (maxAttempts != null) {
      b.maxAttempts(maxAttempts);
    }
    if (backoff != null) {
      b.backoff(ClientCommands.duration(backoff, "--backoff"));
    }
    if (timeout != null) {
      b.timeout(ClientCommands.duration(timeout, "--timeout"));
    }
  }
}
