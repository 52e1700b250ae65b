package dev.hourglass.cli;

/**
 * Starts the stdio node when the node module is on the classpath. Looked up reflectively so the
 * CLI builds before that module exists; once it does, this is a plain call to {@code NodeMain.run}.
 */
final class NodeLauncher {
  private NodeLauncher() {}

  static int run(String[] args) throws Exception {
    Class<?> main;
    try {
      main = Class.forName("dev.hourglass.node.NodeMain");
    } catch (ClassNotFoundException e) {
      System.err.println("hourglass: the node module is not built into this CLI yet");
      return 2;
    }
    return (int) main.getMethod("run", String[].class, java.io.InputStream.class,
            java.io.PrintStream.class, java.io.PrintStream.class)
        .invoke(null, args, System.in, System.out, System.err);
  }
}
