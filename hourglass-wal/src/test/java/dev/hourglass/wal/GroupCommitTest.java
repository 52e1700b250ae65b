package dev.hourglass.wal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {
  @TempDir Path dir;

  /**
   * Goal: N threads each append synchronously (wait for every ack). Every acknowledged record must
   * be found after close and reopen under its LSN, LSNs are unique and contiguous, and the writers
   * shared fsyncs (fewer fsyncs than records).
   */
  @Test
  void concurrentAppendersShareFsyncsAndEveryAcknowledgedRecordSurvivesReopen() throws Exception {
    int threads = 16;
    int perThread = 400;
    var options = WalTesting.smallSegments(dir).withSegmentBytesMax(256 << 10);
    Map<Long, byte[]> acknowledged = new ConcurrentHashMap<>();
    var failures = new ConcurrentHashMap<Integer, Throwable>();
    WalStats stats;
    try (var wal = SegmentedLog.open(options)) {
      var start = new CountDownLatch(1);
      var workers = new ArrayList<Thread>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        workers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      try {
                        start.await();
                        for (int i = 0; i < perThread; i++) {
                          var record =
                              ByteBuffer.allocate(8 + (i % 50)).putInt(id).putInt(i).array();
                          long lsn = wal.append(record).get(30, TimeUnit.SECONDS);
                          assertThat(acknowledged.putIfAbsent(lsn, record))
                              .as("duplicate lsn %d", lsn)
                              .isNull();
                        }
                      } catch (Throwable e) {
                        failures.put(id, e);
                      }
                    }));
      }
      start.countDown();
      for (var w : workers) {
        w.join(60_000);
      }
      stats = wal.stats();
    }
    assertThat(failures).isEmpty();
    assertThat(acknowledged).hasSize(threads * perThread);
    assertThat(stats.records()).isEqualTo(threads * perThread);
    assertThat(stats.fsyncs()).isLessThan(stats.records());
    try (var wal = SegmentedLog.open(options)) {
      var replayed = WalTesting.replayAll(wal, 0);
      assertThat(replayed)
          .extracting(WalTesting.Entry::lsn)
          .containsExactlyElementsOf(
              java.util.stream.LongStream.rangeClosed(1, threads * perThread).boxed().toList());
      for (var e : replayed) {
        assertThat(e.bytes()).as("lsn %d", e.lsn()).isEqualTo(acknowledged.get(e.lsn()));
      }
    }
  }

  @Test
  void perThreadOrderIsPreservedWithAsyncAppendsAndAppendAll() throws Exception {
    int threads = 8;
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      var workers = new ArrayList<Thread>();
      for (int t = 0; t < threads; t++) {
        int id = t;
        workers.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      for (int i = 0; i < 500; i += 5) {
                        wal.append(ByteBuffer.allocate(8).putInt(id).putInt(i).array());
                        wal.appendAll(
                            List.of(
                                ByteBuffer.allocate(8).putInt(id).putInt(i + 1).array(),
                                ByteBuffer.allocate(8).putInt(id).putInt(i + 2).array(),
                                ByteBuffer.allocate(8).putInt(id).putInt(i + 3).array(),
                                ByteBuffer.allocate(8).putInt(id).putInt(i + 4).array()));
                      }
                    }));
      }
      for (var w : workers) {
        w.join(60_000);
      }
    }
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      var next = new int[threads];
      wal.replay(
          0,
          (lsn, bytes) -> {
            var buf = ByteBuffer.wrap(bytes);
            int id = buf.getInt();
            assertThat(buf.getInt()).isEqualTo(next[id]++);
          });
      for (int n : next) {
        assertThat(n).isEqualTo(500);
      }
    }
  }

  /**
   * Goal: a large batch goes to the completer thread, whose slow callbacks keep it busy, while a
   * one-record batch right behind it becomes durable. The small batch must not complete before the
   * large one has finished completing.
   */
  @Test
  void futuresCompleteInLsnOrderAcrossInlineAndHandedOffBatches() throws Exception {
    var completionOrder = new java.util.concurrent.ConcurrentLinkedQueue<Long>();
    var futures = new ArrayList<java.util.concurrent.CompletableFuture<Long>>();
    java.util.function.Consumer<Long> slowCallback =
        lsn -> {
          long until = System.nanoTime() + 5_000;
          while (System.nanoTime() < until) {
            Thread.onSpinWait();
          }
          completionOrder.add(lsn);
        };
    try (var wal = SegmentedLog.open(WalOptions.defaults(dir))) {
      for (int round = 0; round < 10; round++) {
        for (int i = 0; i < 500; i++) {
          var f = wal.append(new byte[] {(byte) i});
          f.thenAccept(slowCallback);
          futures.add(f);
        }
        long burstEnd = wal.lastLsn();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (wal.durableLsn() < burstEnd && System.nanoTime() < deadline) {
          Thread.onSpinWait(); // bounded wait for a condition, not a sleep
        }
        var single = wal.append(new byte[] {2});
        single.thenAccept(slowCallback);
        futures.add(single);
      }
      java.util.concurrent.CompletableFuture.allOf(
              futures.toArray(java.util.concurrent.CompletableFuture[]::new))
          .get(60, TimeUnit.SECONDS);
    }
    assertThat(List.copyOf(completionOrder)).hasSize(5_010).isSorted();
  }
}
