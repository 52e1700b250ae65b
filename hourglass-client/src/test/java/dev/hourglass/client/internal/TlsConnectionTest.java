package dev.hourglass.client.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.hourglass.client.internal.FakeHttpServer.Reply;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** https over the same transport: a self-signed certificate made with the JDK's keytool. */
class TlsConnectionTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final char[] PASSWORD = "changeit".toCharArray();

  @TempDir static Path dir;
  static KeyStore keys;
  static KeyStore otherKeys;
  static FakeHttpServer server;

  /** Issued for another name than the address the client dials. */
  static FakeHttpServer otherServer;

  @BeforeAll
  static void start() throws Exception {
    keys = keyStore("server", "CN=127.0.0.1", "SAN=ip:127.0.0.1,dns:localhost");
    otherKeys = keyStore("other", "CN=other.example", "SAN=dns:other.example");
    server =
        FakeHttpServer.startTls(
            serving(keys),
            r -> r.line().contains("/park") ? Reply.hang() : Reply.json("{\"secure\":true}"));
    otherServer = FakeHttpServer.startTls(serving(otherKeys), r -> Reply.json("{}"));
  }

  @AfterAll
  static void stop() throws IOException {
    server.close();
    otherServer.close();
  }

  /** A self-signed key pair made by the JDK's own keytool. */
  private static KeyStore keyStore(String name, String dname, String san) throws Exception {
    Path store = dir.resolve(name + ".p12");
    Path log = dir.resolve(name + ".log");
    var keytool =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                "server",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                dname,
                "-ext",
                san,
                "-validity",
                "2",
                "-storetype",
                "PKCS12",
                "-keystore",
                store.toString(),
                "-storepass",
                new String(PASSWORD))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(Files.readString(log)).isZero();
    var ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, PASSWORD);
    }
    return ks;
  }

  private static SSLContext serving(KeyStore ks) throws Exception {
    var km = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    km.init(ks, PASSWORD);
    var context = SSLContext.getInstance("TLS");
    context.init(km.getKeyManagers(), null, null);
    return context;
  }

  private static SSLContext trusting(KeyStore ks) throws Exception {
    var trusted = KeyStore.getInstance("PKCS12");
    trusted.load(null, null);
    trusted.setCertificateEntry("server", ks.getCertificate("server"));
    var tm = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tm.init(trusted);
    var context = SSLContext.getInstance("TLS");
    context.init(null, tm.getTrustManagers(), null);
    return context;
  }

  @Test
  void aClientTrustingTheCertificateTalksHttpsAndKeepsTheConnection() throws Exception {
    int before = server.accepts();
    try (var pool = new ConnectionPool(Duration.ofSeconds(5), null, trusting(keys))) {
      for (int i = 0; i < 2; i++) {
        HttpAnswer a = pool.exchange("GET", server.uri("https").resolve("/x"), null, TIMEOUT);
        assertThat(new String(a.body(), StandardCharsets.UTF_8)).isEqualTo("{\"secure\":true}");
      }
    }
    assertThat(server.accepts() - before).isEqualTo(1);
  }

  @Test
  void interruptingAThreadBlockedInAnHttpsReadEndsTheCall() throws Exception {
    // The TLS socket reads through the channel's socket: the interrupt must still close it.
    try (var pool = new ConnectionPool(Duration.ofSeconds(5), null, trusting(keys))) {
      var failure = new CompletableFuture<Throwable>();
      var t =
          new Thread(
              () -> {
                try {
                  pool.exchange("POST", server.uri("https").resolve("/park"), null, TIMEOUT);
                  failure.complete(null);
                } catch (Throwable e) {
                  failure.complete(e);
                }
              });
      int before = server.requests().size();
      t.start();
      await().atMost(Duration.ofSeconds(10)).until(() -> server.requests().size() > before);
      t.interrupt();

      assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
      t.join(10_000);
      assertThat(pool.openCount()).isZero();
    }
  }

  @Test
  void aClientWithTheDefaultContextRefusesTheUntrustedCertificate() {
    try (var pool = new ConnectionPool(Duration.ofSeconds(5), null, null)) {
      assertThatThrownBy(
              () -> pool.exchange("GET", server.uri("https").resolve("/x"), null, TIMEOUT))
          .isInstanceOf(SSLHandshakeException.class);
    }
  }

  @Test
  void aTrustedCertificateForAnotherHostNameIsRefused() throws Exception {
    try (var pool = new ConnectionPool(Duration.ofSeconds(5), null, trusting(otherKeys))) {
      assertThatThrownBy(
              () -> pool.exchange("GET", otherServer.uri("https").resolve("/x"), null, TIMEOUT))
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("127.0.0.1");
    }
  }
}
