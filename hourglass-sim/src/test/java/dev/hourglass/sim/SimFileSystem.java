package dev.hourglass.sim;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One boot of a {@link SimDisk}, as a {@link FileSystem}: the log's own code (FileChannel.open,
 * Files.move, Files.newDirectoryStream, ...) runs on it unchanged, because java.nio dispatches
 * every call on a path to that path's file system provider. This is the seam between the log and
 * the disk; production paths belong to the default file system and never come here.
 */
final class SimFileSystem extends FileSystem {
  private final SimDisk disk;
  private final int boot;
  private final Provider provider = new Provider();

  SimFileSystem(SimDisk disk, int boot) {
    this.disk = disk;
    this.boot = boot;
  }

  @Override
  public FileSystemProvider provider() {
    return provider;
  }

  @Override
  public void close() {}

  @Override
  public boolean isOpen() {
    return true;
  }

  @Override
  public boolean isReadOnly() {
    return false;
  }

  @Override
  public String getSeparator() {
    return "/";
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    return List.of(new SimPath(this, "/"));
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    return List.of();
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return Set.of("basic");
  }

  @Override
  public Path getPath(String first, String... more) {
    return new SimPath(this, more.length == 0 ? first : first + "/" + String.join("/", more));
  }

  /** Globs with {@code *} only, which is all the log uses. */
  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    if (!syntaxAndPattern.startsWith("glob:")) {
      throw new UnsupportedOperationException("only glob: patterns: " + syntaxAndPattern);
    }
    String glob = syntaxAndPattern.substring("glob:".length());
    StringBuilder regex = new StringBuilder();
    for (String part : glob.split("\\*", -1)) {
      if (!regex.isEmpty()) {
        regex.append("[^/]*");
      }
      regex.append(Pattern.quote(part));
    }
    Pattern pattern = Pattern.compile(regex.toString());
    return p -> pattern.matcher(p.toString()).matches();
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    throw new UnsupportedOperationException();
  }

  @Override
  public WatchService newWatchService() {
    throw new UnsupportedOperationException();
  }

  private static String text(Path p) {
    return ((SimPath) p.toAbsolutePath()).text();
  }

  private final class Provider extends FileSystemProvider {
    @Override
    public String getScheme() {
      return "hourglass-sim";
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Path getPath(URI uri) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FileChannel newFileChannel(
        Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
        throws IOException {
      String p = text(path);
      SimDisk.Inode inode = disk.inode(boot, p);
      if (inode == null) {
        if (!options.contains(StandardOpenOption.CREATE)
            && !options.contains(StandardOpenOption.CREATE_NEW)) {
          throw new NoSuchFileException(p);
        }
        inode = disk.createFile(boot, p);
      }
      SimChannel channel = new SimChannel(disk, boot, p, inode);
      if (options.contains(StandardOpenOption.TRUNCATE_EXISTING) && !inode.directory) {
        channel.truncate(0);
      }
      return channel;
    }

    @Override
    public SeekableByteChannel newByteChannel(
        Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
        throws IOException {
      return newFileChannel(path, options, attrs);
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(
        Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
      List<Path> entries = new ArrayList<>();
      for (String child : disk.list(boot, text(dir))) {
        Path p = new SimPath(SimFileSystem.this, child);
        if (filter.accept(p)) {
          entries.add(p);
        }
      }
      return new DirectoryStream<>() {
        @Override
        public Iterator<Path> iterator() {
          return entries.iterator();
        }

        @Override
        public void close() {}
      };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
      disk.createDirectory(boot, text(dir));
    }

    @Override
    public void delete(Path path) throws IOException {
      disk.delete(boot, text(path));
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) {
      throw new UnsupportedOperationException("copy on the simulated disk");
    }

    /** Atomic, and it replaces the target: what the log asks of a move. */
    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
      disk.rename(boot, text(source), text(target));
    }

    @Override
    public boolean isSameFile(Path path, Path path2) {
      return text(path).equals(text(path2));
    }

    @Override
    public boolean isHidden(Path path) {
      return false;
    }

    @Override
    public FileStore getFileStore(Path path) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
      if (disk.inode(boot, text(path)) == null) {
        throw new NoSuchFileException(text(path));
      }
    }

    @Override
    public <V extends FileAttributeView> V getFileAttributeView(
        Path path, Class<V> type, LinkOption... options) {
      return null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <A extends BasicFileAttributes> A readAttributes(
        Path path, Class<A> type, LinkOption... options) throws IOException {
      if (type != BasicFileAttributes.class) {
        throw new UnsupportedOperationException("attributes " + type);
      }
      SimDisk.Inode inode = disk.inode(boot, text(path));
      if (inode == null) {
        throw new NoSuchFileException(text(path));
      }
      return (A) new Attributes(inode.directory, inode.size);
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) {
      throw new UnsupportedOperationException();
    }
  }

  private record Attributes(boolean directory, long bytes) implements BasicFileAttributes {
    @Override
    public FileTime lastModifiedTime() {
      return FileTime.fromMillis(0);
    }

    @Override
    public FileTime lastAccessTime() {
      return FileTime.fromMillis(0);
    }

    @Override
    public FileTime creationTime() {
      return FileTime.fromMillis(0);
    }

    @Override
    public boolean isRegularFile() {
      return !directory;
    }

    @Override
    public boolean isDirectory() {
      return directory;
    }

    @Override
    public boolean isSymbolicLink() {
      return false;
    }

    @Override
    public boolean isOther() {
      return false;
    }

    @Override
    public long size() {
      return bytes;
    }

    @Override
    public Object fileKey() {
      return null;
    }
  }
}
