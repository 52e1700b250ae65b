package dev.hourglass.wal;

import java.io.IOException;

/** Receives records during {@link SegmentedLog#replay}, in LSN order, on the calling thread. */
@FunctionalInterface
public interface RecordConsumer {
  /**
   * @param lsn the record's log sequence number
   * @param record the record bytes, a fresh array the consumer may keep
   * @throws IOException to abort the replay; it propagates out of {@code replay}
   */
  void accept(long lsn, byte[] record) throws IOException;
}
