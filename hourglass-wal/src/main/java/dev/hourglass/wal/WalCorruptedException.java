package dev.hourglass.wal;

import java.nio.file.Path;

/**
 * The log contains bytes that are not a torn tail: a bad record followed by valid ones, a gap in
 * LSNs, or damage in a segment that is not the last one. Opening refuses to continue because
 * silently dropping acknowledged records would break the durability promise; an operator may reopen
 * with {@link WalOptions#repairCorruption()} to keep the valid prefix.
 */
public final class WalCorruptedException extends WalException {
  private static final long serialVersionUID = 1L;

  private final transient Path segment;
  private final long offset;
  private final String detail;

  public WalCorruptedException(Path segment, long offset, String detail) {
    super(
        "write-ahead log corrupted: segment=%s offset=%d: %s; refusing to open, restore from backup or reopen with repairCorruption=true to keep the valid prefix"
            .formatted(segment, offset, detail));
    this.segment = segment;
    this.offset = offset;
    this.detail = detail;
  }

  /** The segment file that holds the damage. */
  public Path segment() {
    return segment;
  }

  /** Byte offset in {@link #segment()} of the first byte that could not be decoded. */
  public long offset() {
    return offset;
  }

  /** What the decoder found at {@link #offset()}. */
  public String detail() {
    return detail;
  }
}
