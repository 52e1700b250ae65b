package dev.hourglass.server;

import dev.hourglass.cluster.ClusterUnavailableException;
import dev.hourglass.cluster.EntryCodec;
import dev.hourglass.cluster.NotLeaderException;
import dev.hourglass.cluster.ReplicatedBackend;
import dev.hourglass.runtime.EngineBackend;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/**
 * How a replica of a partitioned cluster hands a write for a partition it does not lead to the
 * replica that does: the batch, encoded as the Raft entry it becomes, is posted to that replica's
 * {@link #PATH}, which proposes it in the partition's group and answers the committed outcomes.
 * Internal: the caller authenticates with an admin token of the shared tokens file, since the entry
 * may hold any command. A refused connection, or a refusal because the receiver leads the partition
 * no more (421), means nothing was proposed: the sender answers 503 {@code NO_LEADER} and the
 * client retries; any other failure leaves the outcome unknown.
 *
 * <p>Thread-safety: {@link #forward} may be called from any thread (one per partition loop).
 */
final class Forwarding implements ReplicatedBackend.Forwarder {
  static final String PATH = "/internal/v1/partitions/{partition}/entries";
  private static final String OCTETS = "application/octet-stream";

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final String token;
  private final Duration timeout;

  /**
   * @param token the admin token to present, or null when the cluster runs without tokens
   * @param timeout how long to wait for the leader's answer (its commit timeout and some)
   */
  Forwarding(String token, Duration timeout) {
    this.token = token;
    this.timeout = timeout;
  }

  @Override
  public byte[] forward(URI leader, int partition, byte[] entry) throws IOException {
    var request =
        HttpRequest.newBuilder(leader.resolve("/internal/v1/partitions/" + partition + "/entries"))
            .timeout(timeout)
            .header("Content-Type", OCTETS)
            .POST(HttpRequest.BodyPublishers.ofByteArray(entry));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<byte[]> r;
    try {
      r = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (java.net.ConnectException e) {
      // Nothing was sent: the leader is gone (its partition elects), so the caller may retry.
      throw new NotLeaderException(leader.toString(), null, null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted waiting for the leader", e);
    }
    if (r.statusCode() == 200) {
      return r.body();
    }
    String detail = new String(r.body(), java.nio.charset.StandardCharsets.UTF_8);
    if (r.statusCode() == 421) {
      throw new NotLeaderException(leader.toString(), null, null);
    }
    throw new IOException("status " + r.statusCode() + ": " + detail);
  }

  /** The receiving side: commits a forwarded entry in its partition's group. */
  static void serve(List<EngineBackend> backends, ServerRequest req, ServerResponse res) {
    String p = req.path().pathParameters().get("partition");
    int partition;
    try {
      partition = Integer.parseInt(p);
    } catch (NumberFormatException e) {
      partition = -1;
    }
    if (partition < 0
        || partition >= backends.size()
        || !(backends.get(partition) instanceof ReplicatedBackend replica)) {
      throw ApiException.notFound(
          "no partition "
              + p
              + " here: this replica holds partitions 0"
              + " to "
              + (backends.size() - 1));
    }
    byte[] entry;
    try (InputStream in = req.content().inputStream()) {
      entry = in.readNBytes(EntryCodec.ENTRY_BYTES_MAX + 1);
    } catch (IOException e) {
      throw new UncheckedIOException("reading a forwarded entry failed", e);
    }
    if (entry.length > EntryCodec.ENTRY_BYTES_MAX) {
      throw ApiException.badRequest(
          "ENTRY_TOO_LARGE",
          "a forwarded entry holds at most "
              + EntryCodec.ENTRY_BYTES_MAX
              + " bytes; nothing was proposed");
    }
    byte[] reply;
    try {
      reply = replica.commitForwarded(entry);
    } catch (NotLeaderException e) {
      throw new ApiException(
          421,
          "NOT_LEADER",
          "Misdirected request",
          "this replica leads"
              + " partition "
              + partition
              + " no more; nothing was proposed: "
              + e.getMessage());
    } catch (ClusterUnavailableException e) {
      throw ApiException.unavailable(e.getMessage());
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("INVALID_ENTRY", e.getMessage() + "; nothing was proposed");
    }
    res.header(HeaderNames.CONTENT_TYPE, OCTETS).send(reply);
  }
}
