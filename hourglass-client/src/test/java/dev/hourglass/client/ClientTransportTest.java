package dev.hourglass.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.internal.FakeHttpServer;
import dev.hourglass.client.internal.FakeHttpServer.Reply;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How transport failures reach the caller: as {@code unreachable}, with the reason. */
class ClientTransportTest {
  private FakeHttpServer server;
  private HourglassClient client;

  @AfterEach
  void stop() throws IOException {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private HourglassClient clientOf(Duration requestTimeout) {
    client =
        HourglassClient.builder(server.uri().toString()).requestTimeout(requestTimeout).build();
    return client;
  }

  private static void assertUnreachable(Throwable e, String detail) {
    assertThat(e).isInstanceOf(HourglassException.class);
    var h = (HourglassException) e;
    assertThat(h.status()).isEqualTo(HourglassException.STATUS_UNREACHABLE);
    assertThat(h.code()).isEqualTo(ErrorCode.UNREACHABLE);
    assertThat(h.detail()).contains(detail);
  }

  @Test
  void aMalformedStatusLineIsUnreachableWithTheReason() throws IOException {
    server = FakeHttpServer.start(r -> Reply.thenClose("HTTP/9 OK\r\n\r\n"));
    var c = clientOf(Duration.ofSeconds(10));
    assertThatThrownBy(() -> c.job("j1"))
        .satisfies(e -> assertUnreachable(e, "malformed status line \"HTTP/9 OK\""));
  }

  @Test
  void aServerThatNeverAnswersIsUnreachableAfterTheTimeout() throws IOException {
    server = FakeHttpServer.start(r -> Reply.hang());
    var c = clientOf(Duration.ofMillis(300));
    assertThatThrownBy(() -> c.job("j1")).satisfies(e -> assertUnreachable(e, "timed out"));
  }

  @Test
  void closeEndsACallParkedOnAnotherThreadAndRefusesLaterCalls() throws Exception {
    server = FakeHttpServer.start(r -> Reply.hang());
    var c = clientOf(Duration.ofSeconds(60));
    var parked =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                c.job("j1");
                return null;
              } catch (HourglassException e) {
                return e;
              }
            });
    await().atMost(Duration.ofSeconds(10)).until(() -> server.requests().size() == 1);
    c.close();

    assertUnreachable(parked.get(10, TimeUnit.SECONDS), "client was closed");
    assertThatThrownBy(() -> c.job("j2")).satisfies(e -> assertUnreachable(e, "client is closed"));
  }

  @Test
  void interruptingACallEndsItAsUnreachableAndKeepsTheInterrupt() throws Exception {
    server = FakeHttpServer.start(r -> Reply.hang());
    var c = clientOf(Duration.ofSeconds(60));
    var failure = new CompletableFuture<Throwable>();
    var stillInterrupted = new CompletableFuture<Boolean>();
    var t =
        new Thread(
            () -> {
              try {
                c.job("j1");
              } catch (HourglassException e) {
                stillInterrupted.complete(Thread.currentThread().isInterrupted());
                failure.complete(e);
              }
            });
    t.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> server.requests().size() == 1);
    t.interrupt();

    assertUnreachable(failure.get(10, TimeUnit.SECONDS), "(interrupted)");
    assertThat(stillInterrupted.get(1, TimeUnit.SECONDS)).isTrue();
    t.join(10_000);
  }

  @Test
  void aTokenThatNoHeaderCanCarryIsRefusedAtOnce() {
    server = null;
    assertThatThrownBy(() -> HourglassClient.builder("http://127.0.0.1:1").token("a\r\nX-Evil: 1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("outside printable ASCII");
  }
}
