package dev.hourglass.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {
  @TempDir Path dir;

  private static SnapshotBody bytes(String s) {
    return out -> out.write(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String text(LoadedSnapshot s) {
    return new String(s.body(), StandardCharsets.UTF_8);
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (var ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      var b = ByteBuffer.allocate(1);
      ch.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ 1)).rewind();
      ch.write(b, offset);
    }
  }

  @Test
  void emptyDirectoryHasNoSnapshot() throws Exception {
    assertThat(new SnapshotStore(dir.resolve("missing")).loadNewestValid()).isEmpty();
    assertThat(new SnapshotStore(dir).loadNewestValid()).isEmpty();
  }

  @Test
  void writtenSnapshotLoadsWithItsLsnAndBody() throws Exception {
    var store = new SnapshotStore(dir);
    store.write(10, bytes("ten"));
    store.write(20, bytes("twenty"));
    var loaded = store.loadNewestValid().orElseThrow();
    assertThat(loaded.lsn()).isEqualTo(20);
    assertThat(text(loaded)).isEqualTo("twenty");
    assertThat(loaded.file().getFileName().toString())
        .isEqualTo("snapshot-00000000000000000020.snap");
  }

  @Test
  void emptyBodyRoundTrips() throws Exception {
    var store = new SnapshotStore(dir);
    store.write(0, out -> {});
    assertThat(store.loadNewestValid().orElseThrow().body()).isEmpty();
  }

  @Test
  void corruptNewestFallsBackToThePrevious() throws Exception {
    var store = new SnapshotStore(dir);
    store.write(10, bytes("ten"));
    store.write(20, bytes("twenty"));
    flipByte(store.files().getFirst(), SnapshotStore.HEADER_BYTES + 2);
    var loaded = store.loadNewestValid().orElseThrow();
    assertThat(loaded.lsn()).isEqualTo(10);
    assertThat(text(loaded)).isEqualTo("ten");
  }

  @Test
  void truncatedOrHeaderDamagedNewestFallsBack() throws Exception {
    var store = new SnapshotStore(dir, 3);
    store.write(10, bytes("ten"));
    store.write(20, bytes("twenty"));
    store.write(30, bytes("thirty"));
    var files = store.files();
    flipByte(files.get(0), 9); // header lsn byte
    try (var ch = FileChannel.open(files.get(1), StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 1);
    }
    assertThat(store.loadNewestValid().orElseThrow().lsn()).isEqualTo(10);
    flipByte(files.get(2), 0);
    assertThat(store.loadNewestValid()).isEmpty();
  }

  @Test
  void deletedNewestFallsBackToThePrevious() throws Exception {
    var store = new SnapshotStore(dir);
    store.write(10, bytes("ten"));
    store.write(20, bytes("twenty"));
    Files.delete(store.files().getFirst());
    assertThat(text(store.loadNewestValid().orElseThrow())).isEqualTo("ten");
  }

  @Test
  void keepsOnlyTheNewestRetainedSnapshots() throws Exception {
    var store = new SnapshotStore(dir);
    for (long lsn = 1; lsn <= 5; lsn++) {
      store.write(lsn * 100, bytes("s" + lsn));
    }
    assertThat(store.files())
        .extracting(p -> p.getFileName().toString())
        .containsExactly(
            "snapshot-00000000000000000500.snap", "snapshot-00000000000000000400.snap");
  }

  @Test
  void failingBodyLeavesNoSnapshotAndKeepsThePreviousOne() throws Exception {
    var store = new SnapshotStore(dir);
    store.write(10, bytes("ten"));
    assertThatThrownBy(
            () ->
                store.write(
                    20,
                    out -> {
                      out.write(new byte[100_000]);
                      throw new IOException("engine failed mid-snapshot");
                    }))
        .hasMessage("engine failed mid-snapshot");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactly("snapshot-00000000000000000010.snap");
    }
    assertThat(store.loadNewestValid().orElseThrow().lsn()).isEqualTo(10);
  }

  @Test
  void largeBodyIsStreamedAndVerifiedWithoutBeingHeldInMemoryByTheStore() throws Exception {
    var store = new SnapshotStore(dir);
    var digestWritten = MessageDigest.getInstance("SHA-256");
    var random = new Random(3);
    var chunk = new byte[64 << 10];
    store.write(
        7,
        out -> {
          for (int i = 0; i < 600; i++) { // ~39 MB
            random.nextBytes(chunk);
            digestWritten.update(chunk);
            out.write(chunk);
          }
          out.close(); // must not close the file under the store
        });
    var verified = store.newestValid().orElseThrow();
    assertThat(verified.bodyBytes()).isEqualTo(600L * chunk.length);
    var digestRead = MessageDigest.getInstance("SHA-256");
    try (var in = verified.openBody()) {
      var buf = new byte[1 << 16];
      int n;
      while ((n = in.read(buf)) > 0) {
        digestRead.update(buf, 0, n);
      }
    }
    assertThat(digestRead.digest()).isEqualTo(digestWritten.digest());
    assertThat(store.loadNewestValid().orElseThrow().body()).hasSize(600 * chunk.length);
  }

  @Test
  void retentionMustBePositive() {
    assertThatThrownBy(() -> new SnapshotStore(dir, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
