package dev.hourglass.wal;

/**
 * A record exceeds {@link WalOptions#recordBytesMax()}.
 *
 * <p>This is an {@link IllegalArgumentException}, not a {@link WalException}: the bound is known
 * before the call, the caller is expected to validate command size before it reaches the log (as
 * Ratis validates in {@code startTransaction}), and nothing has been written. {@link
 * SegmentedLog#append} throws it synchronously instead of returning a failed future, so the bug
 * surfaces at the call site.
 */
public final class RecordTooLargeException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public RecordTooLargeException(int recordBytes, int recordBytesMax) {
    super(
        "record too large: recordBytes=%d recordBytesMax=%d; record rejected, nothing written"
            .formatted(recordBytes, recordBytesMax));
  }
}
