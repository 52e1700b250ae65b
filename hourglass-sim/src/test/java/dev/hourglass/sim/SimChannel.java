package dev.hourglass.sim;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * An open file (or directory, for force) of one boot of a {@link SimDisk}. Every call after the
 * boot ended in a crash throws IOException. Confined to one thread at a time, like the log's use of
 * a FileChannel.
 */
final class SimChannel extends FileChannel {
  private final SimDisk disk;
  private final int boot;
  private final String path;
  private final SimDisk.Inode inode;
  private long position;

  SimChannel(SimDisk disk, int boot, String path, SimDisk.Inode inode) {
    this.disk = disk;
    this.boot = boot;
    this.path = path;
    this.inode = inode;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    int n = read(dst, position);
    if (n > 0) {
      position += n;
    }
    return n;
  }

  @Override
  public int read(ByteBuffer dst, long at) throws IOException {
    synchronized (disk) {
      disk.checkAlive(boot);
      if (at >= inode.size) {
        return dst.hasRemaining() ? -1 : 0;
      }
      int n = (int) Math.min(dst.remaining(), inode.size - at);
      dst.put(inode.data, (int) at, n);
      return n;
    }
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) {
    throw new UnsupportedOperationException("scattering read on a simulated file");
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    int n = write(src, position);
    position += n;
    return n;
  }

  @Override
  public int write(ByteBuffer src, long at) throws IOException {
    byte[] bytes = new byte[src.remaining()];
    src.get(bytes);
    disk.write(boot, path, inode, bytes, at);
    return bytes.length;
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) {
    throw new UnsupportedOperationException("gathering write on a simulated file");
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public FileChannel position(long newPosition) {
    position = newPosition;
    return this;
  }

  @Override
  public long size() throws IOException {
    synchronized (disk) {
      disk.checkAlive(boot);
      return inode.size;
    }
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    disk.truncate(boot, path, inode, size);
    position = Math.min(position, size);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    disk.force(boot, path, inode);
  }

  @Override
  public long transferTo(long at, long count, WritableByteChannel target) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
    int n = read(buf, at);
    if (n <= 0) {
      return 0;
    }
    buf.flip();
    while (buf.hasRemaining()) {
      target.write(buf);
    }
    return n;
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long at, long count) {
    throw new UnsupportedOperationException("transferFrom on a simulated file");
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long at, long size) {
    throw new UnsupportedOperationException("mmap on a simulated file");
  }

  @Override
  public FileLock lock(long at, long size, boolean shared) throws IOException {
    FileLock lock = tryLock(at, size, shared);
    if (lock == null) {
      throw new IOException("simulated lock held: " + path);
    }
    return lock;
  }

  @Override
  public FileLock tryLock(long at, long size, boolean shared) throws IOException {
    if (!disk.lock(boot, path)) {
      return null;
    }
    return new FileLock(this, at, size, shared) {
      private boolean valid = true;

      @Override
      public boolean isValid() {
        return valid;
      }

      @Override
      public void release() {
        if (valid) {
          valid = false;
          disk.unlock(boot, path);
        }
      }
    };
  }

  @Override
  protected void implCloseChannel() {}
}
