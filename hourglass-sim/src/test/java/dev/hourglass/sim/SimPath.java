package dev.hourglass.sim;

import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A path on a {@link SimFileSystem}: "/"-separated names, absolute (from "/") or relative (a file
 * name). Only what the log uses is supported; the rest throws. Immutable.
 */
final class SimPath implements Path {
  private final SimFileSystem fs;

  /** Absolute: starts with "/"; the root is "/". Relative: no leading "/". */
  private final String path;

  SimPath(SimFileSystem fs, String path) {
    this.fs = fs;
    this.path = normalize(path);
  }

  private static String normalize(String p) {
    boolean absolute = p.startsWith("/");
    List<String> names = new ArrayList<>();
    for (String name : p.split("/")) {
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (!names.isEmpty()) {
          names.removeLast();
        }
        continue;
      }
      names.add(name);
    }
    String joined = String.join("/", names);
    return absolute ? "/" + joined : joined;
  }

  /** The parent of an absolute path string, or null for the root. */
  static String parentOf(String p) {
    if (p.equals("/")) {
      return null;
    }
    int slash = p.lastIndexOf('/');
    return slash <= 0 ? "/" : p.substring(0, slash);
  }

  String text() {
    return path;
  }

  SimFileSystem fs() {
    return fs;
  }

  private List<String> names() {
    String body = path.startsWith("/") ? path.substring(1) : path;
    return body.isEmpty() ? List.of() : Arrays.asList(body.split("/"));
  }

  @Override
  public FileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return path.startsWith("/");
  }

  @Override
  public Path getRoot() {
    return isAbsolute() ? new SimPath(fs, "/") : null;
  }

  @Override
  public Path getFileName() {
    List<String> names = names();
    return names.isEmpty() ? null : new SimPath(fs, names.getLast());
  }

  @Override
  public Path getParent() {
    if (!isAbsolute()) {
      List<String> names = names();
      return names.size() <= 1
          ? null
          : new SimPath(fs, String.join("/", names.subList(0, names.size() - 1)));
    }
    String parent = parentOf(path);
    return parent == null ? null : new SimPath(fs, parent);
  }

  @Override
  public int getNameCount() {
    return names().size();
  }

  @Override
  public Path getName(int index) {
    return new SimPath(fs, names().get(index));
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    return new SimPath(fs, String.join("/", names().subList(beginIndex, endIndex)));
  }

  @Override
  public boolean startsWith(Path other) {
    String o = ((SimPath) other).path;
    return path.equals(o) || path.startsWith(o.endsWith("/") ? o : o + "/");
  }

  @Override
  public boolean endsWith(Path other) {
    String o = ((SimPath) other).path;
    return path.equals(o) || path.endsWith("/" + o);
  }

  @Override
  public Path normalize() {
    return this;
  }

  @Override
  public Path resolve(Path other) {
    SimPath o = (SimPath) other;
    if (o.isAbsolute()) {
      return o;
    }
    if (o.path.isEmpty()) {
      return this;
    }
    return new SimPath(fs, path.endsWith("/") ? path + o.path : path + "/" + o.path);
  }

  @Override
  public Path relativize(Path other) {
    throw new UnsupportedOperationException("relativize on a simulated path");
  }

  @Override
  public URI toUri() {
    throw new UnsupportedOperationException("toUri on a simulated path");
  }

  @Override
  public Path toAbsolutePath() {
    return isAbsolute() ? this : new SimPath(fs, "/" + path);
  }

  @Override
  public Path toRealPath(LinkOption... options) {
    return toAbsolutePath();
  }

  @Override
  public WatchKey register(
      WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
    throw new UnsupportedOperationException("watch on a simulated path");
  }

  @Override
  public int compareTo(Path other) {
    return path.compareTo(((SimPath) other).path);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SimPath p && p.fs == fs && p.path.equals(path);
  }

  @Override
  public int hashCode() {
    return path.hashCode();
  }

  @Override
  public String toString() {
    return path;
  }
}
