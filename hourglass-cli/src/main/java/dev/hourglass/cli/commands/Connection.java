package dev.hourglass.cli.commands;

import dev.hourglass.client.HourglassClient;
import picocli.CommandLine.Option;

/** The options every client command shares: where the server is, the token, the output form. */
public final class Connection {
  @Option(
      names = "--server",
      paramLabel = "URL",
      defaultValue = "${env:HOURGLASS_URL:-http://127.0.0.1:7070}",
      description = "Server base URL (env HOURGLASS_URL; default ${DEFAULT-VALUE}).")
  String server;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      defaultValue = "${env:HOURGLASS_TOKEN}",
      description = "Bearer token (env HOURGLASS_TOKEN).")
  String token;

  @Option(names = "--json", description = "Print JSON for scripts instead of tables.")
  boolean json;

  /** A client of the server; the caller closes it. */
  public HourglassClient client() {
    return HourglassClient.builder(server).token(token).build();
  }

  /** Whether to print JSON. */
  public boolean json() {
    return json;
  }

  /** The server URL. */
  public String server() {
    return server;
  }
}
