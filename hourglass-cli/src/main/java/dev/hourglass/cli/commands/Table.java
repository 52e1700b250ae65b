package dev.hourglass.cli.commands;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** A plain-text table with left-aligned columns sized to their widest cell. Not thread-safe. */
public final class Table {
  /** Why: one wide payload must not push every other column off the screen. */
  private static final int CELL_MAX = 48;

  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  public Table(String... header) {
    this.header = List.of(header);
  }

  public Table row(Object... cells) {
    List<String> r = new ArrayList<>(cells.length);
    for (Object c : cells) {
      String s = c == null ? "-" : c.toString();
      r.add(s.length() > CELL_MAX ? s.substring(0, CELL_MAX - 3) + "..." : s);
    }
    rows.add(r);
    return this;
  }

  public int size() {
    return rows.size();
  }

  public List<String> lines() {
    int[] w = new int[header.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = header.get(i).length();
      for (List<String> r : rows) {
        w[i] = Math.max(w[i], i < r.size() ? r.get(i).length() : 0);
      }
    }
    List<String> out = new ArrayList<>(rows.size() + 1);
    out.add(line(header, w));
    for (List<String> r : rows) {
      out.add(line(r, w));
    }
    return out;
  }

  public void print(PrintStream out) {
    lines().forEach(out::println);
  }

  private static String line(List<String> cells, int[] w) {
    var b = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      String c = i < cells.size() ? cells.get(i) : "";
      b.append(c);
      if (i < w.length - 1) {
        b.append(" ".repeat(w[i] - c.length() + 2));
      }
    }
    return b.toString().stripTrailing();
  }
}
