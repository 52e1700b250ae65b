package dev.hourglass.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line of {@code hourglass server}: help, and no open server by accident. */
class ServerMainTest {
  @TempDir Path dir;
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private ServerMain.Started start(String tokensEnv, String... args) {
    return ServerMain.start(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8),
        tokensEnv);
  }

  private String out() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private String err() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  void helpPrintsEveryOptionAndExitsZeroWherever() {
    for (String[] args :
        new String[][] {{"--help"}, {"-h"}, {"--data-dir", "d", "--help"}, {"--port", "1", "-h"}}) {
      out.reset();
      var s = start(null, args);
      assertThat(s.server()).isNull();
      assertThat(s.exitCode()).as(String.join(" ", args)).isZero();
      assertThat(out())
          .contains("usage: hourglass server --data-dir DIR")
          .contains("--bind")
          .contains("--tokens-file")
          .contains("--allow-unauthenticated")
          .contains("--peers");
    }
    assertThat(err()).isEmpty();
  }

  @Test
  void aNonLoopbackBindWithoutTokensIsRefusedNamingTheTokensFile() {
    var s =
        start(null, "--data-dir", dir.resolve("d").toString(), "--port", "0", "--bind", "0.0.0.0");
    assertThat(s.server()).isNull();
    assertThat(s.exitCode()).isEqualTo(2);
    assertThat(err())
        .contains("--bind 0.0.0.0")
        .contains("--tokens-file")
        .contains("--allow-unauthenticated")
        .contains("refusing to start");
    assertThat(out()).doesNotContain("listening");
    assertThat(dir.resolve("d")).doesNotExist(); // refused before anything was created
  }

  @Test
  void allowUnauthenticatedStartsTheOpenServerWithAWarning() {
    var s =
        start(
            null,
            "--data-dir",
            dir.resolve("d").toString(),
            "--port",
            "0",
            "--bind",
            "0.0.0.0",
            "--allow-unauthenticated",
            "--fsync",
            "never");
    try {
      assertThat(s.server()).as(err()).isNotNull();
      assertThat(err()).contains("WARNING").contains("without tokens").contains("--tokens-file");
      assertThat(out()).contains("hourglass server listening on");
      assertThat(
              new HttpTestClient(java.net.URI.create("http://127.0.0.1:" + s.server().port()))
                  .get("/healthz")
                  .status())
          .isEqualTo(200);
    } finally {
      if (s.server() != null) {
        s.server().stop();
      }
    }
  }

  @Test
  void tokensOrALoopbackAddressNeedNoFlag() throws Exception {
    var withTokens =
        ServerMain.parse(
            new String[] {"--data-dir", "d", "--bind", "0.0.0.0"}, "client:client-secret-1");
    ServerMain.refuseOpenBind(withTokens, new PrintStream(err, true, StandardCharsets.UTF_8));
    for (String bind : new String[] {"127.0.0.1", "127.0.0.2", "localhost", "::1"}) {
      var local = ServerMain.parse(new String[] {"--data-dir", "d", "--bind", bind}, null);
      ServerMain.refuseOpenBind(local, new PrintStream(err, true, StandardCharsets.UTF_8));
    }
    assertThat(err()).isEmpty();
    assertThat(ServerMain.loopback("0.0.0.0")).isFalse();
    assertThat(ServerMain.loopback("::")).isFalse();
  }

  @Test
  void raftSnapshotAndSegmentFlagsTuneTheReplicaAndNeedOne() throws Exception {
    var tuned =
        ServerMain.parse(
                new String[] {
                  "--data-dir",
                  "d",
                  "--node-id",
                  "s1",
                  "--peers",
                  "s1=127.0.0.1:9001",
                  "--raft-snapshot-every",
                  "200",
                  "--raft-segment-bytes",
                  "65536"
                },
                null)
            .options()
            .replication()
            .tuning();
    assertThat(tuned.snapshotEveryEntries()).isEqualTo(200);
    assertThat(tuned.logSegmentBytes()).isEqualTo(65536);

    assertThatThrownBy(
            () ->
                ServerMain.parse(
                    new String[] {"--data-dir", "d", "--raft-snapshot-every", "200"}, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--node-id");
    assertThatThrownBy(
            () ->
                ServerMain.parse(
                    new String[] {
                      "--data-dir",
                      "d",
                      "--node-id",
                      "s1",
                      "--peers",
                      "s1=127.0.0.1:9001",
                      "--raft-segment-bytes",
                      "100"
                    },
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("logSegmentBytes");
    assertThatThrownBy(
            () ->
                ServerMain.parse(
                    new String[] {
                      "--data-dir",
                      "d",
                      "--node-id",
                      "s1",
                      "--peers",
                      "s1=127.0.0.1:9001",
                      "--raft-snapshot-every",
                      "0"
                    },
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("snapshotEveryEntries");
  }

  @Test
  void partitionsDefaultToOneAreCheckedAndARestartWithAnotherCountIsRefused() throws Exception {
    assertThat(ServerMain.parse(new String[] {"--data-dir", "d"}, null).options().partitions())
        .isEqualTo(1);
    assertThat(
            ServerMain.parse(new String[] {"--data-dir", "d", "--partitions", "4"}, null)
                .options()
                .partitions())
        .isEqualTo(4);
    assertThatThrownBy(
            () -> ServerMain.parse(new String[] {"--data-dir", "d", "--partitions", "0"}, null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("partitions=0 is outside [1, 256]");
    assertThat(
            ServerMain.parse(
                    new String[] {
                      "--data-dir",
                      "d",
                      "--partitions",
                      "2",
                      "--node-id",
                      "s1",
                      "--peers",
                      "s1=127.0.0.1:9001"
                    },
                    null)
                .options()
                .partitions())
        .as("a replica runs one Raft group per partition")
        .isEqualTo(2);

    String data = dir.resolve("p").toString();
    var first =
        start(null, "--data-dir", data, "--port", "0", "--partitions", "2", "--fsync", "never");
    assertThat(first.server()).as(err()).isNotNull();
    first.server().stop();
    var again = start(null, "--data-dir", data, "--port", "0", "--partitions", "3");
    assertThat(again.server()).isNull();
    assertThat(again.exitCode()).isNotZero();
    assertThat(err()).contains("holds 2 partitions").contains("--partitions 3");
  }
}
