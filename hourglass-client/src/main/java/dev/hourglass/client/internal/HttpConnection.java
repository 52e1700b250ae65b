package dev.hourglass.client.internal;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * One HTTP/1.1 keep-alive connection on a blocking socket: writes a request, reads its answer.
 *
 * <p>Why a {@link SocketChannel} in blocking mode rather than a plain {@link Socket}: a channel is
 * interruptible, so interrupting a thread blocked in a read (a worker abandoning a parked long
 * poll) closes the connection and ends the call at once; a plain socket ignores interrupts. The
 * reads go through the channel's socket streams, whose {@code SO_TIMEOUT} is set to the time left
 * of the call before each read, so the answer must arrive within the call's timeout. A write only
 * blocks when the kernel's send buffer is full, which a request of at most {@link
 * #WRITE_GUARD_BYTES} never fills; a larger one is guarded by a timer that closes the connection at
 * the deadline.
 *
 * <p>Buffers belong to the connection and are reused by every exchange on it; an exchange allocates
 * the body array it returns and, for the two headers the client reads, their strings.
 *
 * <p>Thread-safety: one thread at a time runs an exchange (the pool hands a connection to one
 * call); {@link #close()} may be called from any thread and ends a blocked exchange.
 */
public final class HttpConnection implements AutoCloseable {
  /** Why: no answer of ours has a header line near this; a longer one is not a server of ours. */
  static final int HEADER_LINE_BYTES_MAX = 16 * 1024;

  /** Why: the server sends about ten headers; a hundred means a broken or hostile peer. */
  static final int HEADERS_MAX = 100;

  /** Why: a server sends at most a few 1xx interim answers before the final one. */
  private static final int INTERIM_ANSWERS_MAX = 16;

  /**
   * Requests up to this size never block in the write: every platform's smallest default send
   * buffer (Linux starts at 16 KB) holds them, and an answered request has left it.
   */
  static final int WRITE_GUARD_BYTES = 8 * 1024;

  private static final int BUFFER_BYTES = 8 * 1024;

  /**
   * Why: an idle connection should not pin the largest chunked answer it ever read (a long job
   * listing); a collecting buffer above this is dropped after the answer.
   */
  private static final int KEPT_BODY_BUFFER_BYTES_MAX = 64 * 1024;

  private static final byte[] EMPTY = new byte[0];
  private static final byte[] HTTP_1_1 = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] JSON_TYPE =
      "Content-Type: application/json\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LENGTH = "Content-Length: ".getBytes(StandardCharsets.US_ASCII);

  final HttpEndpoint endpoint;
  private final SocketChannel channel;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  /** The fixed header lines of every request: Host, Accept and Authorization. */
  private final byte[] fixedHeaders;

  private final byte[] readBuffer = new byte[BUFFER_BYTES];
  private int readPos;
  private int readLimit;
  private byte[] writeBuffer = new byte[BUFFER_BYTES];
  private byte[] line = new byte[256];
  private int lineLength;

  /** Collects chunked and read-to-close bodies, whose length is not known in advance. */
  private byte[] bodyBuffer = EMPTY;

  private final ByteBuffer probe = ByteBuffer.allocate(1);
  private final Headers headers = new Headers();

  private long deadlineNanos;
  private Duration timeout = Duration.ZERO;
  private boolean answerStarted;
  private boolean reusable;
  private volatile boolean writeAborted;
  private int exchanges;

  /** When the connection went back to the pool; read and written under the pool's lock. */
  long idleSinceNanos;

  private HttpConnection(
      HttpEndpoint endpoint, SocketChannel channel, Socket socket, byte[] fixedHeaders)
      throws IOException {
    this.endpoint = endpoint;
    this.channel = channel;
    this.socket = socket;
    this.in = socket.getInputStream();
    this.out = socket.getOutputStream();
    this.fixedHeaders = fixedHeaders;
  }

  /**
   * Connects (and for https shakes hands) within the connect timeout and the call's deadline.
   *
   * @param endpoint where to
   * @param fixedHeaders the Accept and Authorization lines of every request
   * @param connectTimeout the longest wait for the TCP connection
   * @param deadlineNanos the call's deadline on {@link System#nanoTime()}
   * @param tls the factory for https, unused for http
   * @return the open connection
   * @throws IOException if it cannot connect: {@link java.net.ConnectException} when refused
   */
  static HttpConnection open(
      HttpEndpoint endpoint,
      byte[] fixedHeaders,
      Duration connectTimeout,
      long deadlineNanos,
      SSLSocketFactory tls)
      throws IOException {
    SocketChannel channel = SocketChannel.open();
    try {
      channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
      int millis = (int) Math.min(connectTimeout.toMillis(), millisLeft(deadlineNanos));
      Socket socket = channel.socket();
      socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), Math.max(1, millis));
      if (endpoint.tls()) {
        var ssl = (SSLSocket) tls.createSocket(socket, endpoint.host(), endpoint.port(), true);
        var p = ssl.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        if (!endpoint.ipLiteral()) {
          p.setServerNames(List.of(new SNIHostName(endpoint.host())));
        }
        ssl.setSSLParameters(p);
        ssl.setSoTimeout(Math.max(1, (int) Math.min(Integer.MAX_VALUE, millisLeft(deadlineNanos))));
        ssl.startHandshake();
        socket = ssl;
      }
      byte[] host = endpoint.hostLine();
      byte[] fixed = Arrays.copyOf(host, host.length + fixedHeaders.length);
      System.arraycopy(fixedHeaders, 0, fixed, host.length, fixedHeaders.length);
      return new HttpConnection(endpoint, channel, socket, fixed);
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /**
   * Sends one request and reads its whole answer before the deadline.
   *
   * @param method e.g. {@code GET}
   * @param target the raw path and query, e.g. {@code /api/v1/jobs?limit=5}
   * @param body the JSON body, or null for none
   * @param deadlineNanos the call's deadline on {@link System#nanoTime()}
   * @param timeout the call's timeout, for the message when it is exceeded
   * @return the answer
   * @throws IOException on any failure; the connection must then be closed
   */
  HttpAnswer exchange(
      String method, String target, byte[] body, long deadlineNanos, Duration timeout)
      throws IOException {
    this.deadlineNanos = deadlineNanos;
    this.timeout = timeout;
    answerStarted = false;
    reusable = false;
    writeAborted = false;
    write(method, target, body);
    HttpAnswer answer = read();
    exchanges++;
    return answer;
  }

  /** True once an exchange completed on this connection, so it came from the pool. */
  boolean reused() {
    return exchanges > 0;
  }

  /** True when the last exchange read at least one byte of an answer. */
  boolean answerStarted() {
    return answerStarted;
  }

  /** True when the last answer allows another request on this connection. */
  boolean reusable() {
    return reusable && channel.isOpen();
  }

  /**
   * Whether an idle connection is still usable, without blocking: a server that closed it, or sent
   * anything unasked, makes it unusable. Runs on the thread that took it from the pool.
   */
  boolean stillOpen() {
    if (!channel.isOpen()) {
      return false;
    }
    try {
      channel.configureBlocking(false);
      probe.clear();
      int n = channel.read(probe);
      channel.configureBlocking(true);
      return n == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** Closes the socket at once, without a TLS goodbye; a blocked exchange fails. Idempotent. */
  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closed anyway
    }
  }

  // ------------------------------------------------------------------------------ request

  private void write(String method, String target, byte[] body) throws IOException {
    int n = 0;
    n = putAscii(n, method);
    n = putByte(n, ' ');
    n = putAscii(n, target);
    n = putBytes(n, HTTP_1_1);
    n = putBytes(n, fixedHeaders);
    if (body != null) {
      n = putBytes(n, JSON_TYPE);
    }
    n = putBytes(n, LENGTH);
    n = putAscii(n, Integer.toString(body == null ? 0 : body.length));
    n = putByte(n, '\r');
    n = putByte(n, '\n');
    n = putByte(n, '\r');
    n = putByte(n, '\n');
    int bodyLength = body == null ? 0 : body.length;
    boolean together = n + bodyLength <= writeBuffer.length;
    if (together && bodyLength > 0) {
      System.arraycopy(body, 0, writeBuffer, n, bodyLength);
    }
    ScheduledFuture<?> guard = null;
    if (n + bodyLength > WRITE_GUARD_BYTES) {
      guard = WriteGuard.TIMER.schedule(this::abortWrite, nanosLeft(), TimeUnit.NANOSECONDS);
    }
    try {
      out.write(writeBuffer, 0, together ? n + bodyLength : n);
      if (!together && bodyLength > 0) {
        out.write(body);
      }
      out.flush();
    } catch (IOException e) {
      throw writeAborted ? timedOut() : e;
    } finally {
      if (guard != null) {
        guard.cancel(false);
      }
    }
  }

  private void abortWrite() {
    writeAborted = true;
    close();
  }

  private int putAscii(int n, String s) throws IOException {
    ensureWrite(n, s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c > '~') {
        throw new IOException(
            "request line has a character outside visible ASCII: \"" + s + "\"; not sent");
      }
      writeBuffer[n + i] = (byte) c;
    }
    return n + s.length();
  }

  private int putBytes(int n, byte[] b) {
    ensureWrite(n, b.length);
    System.arraycopy(b, 0, writeBuffer, n, b.length);
    return n + b.length;
  }

  private int putByte(int n, char c) {
    ensureWrite(n, 1);
    writeBuffer[n] = (byte) c;
    return n + 1;
  }

  private void ensureWrite(int n, int more) {
    if (n + more > writeBuffer.length) {
      writeBuffer = Arrays.copyOf(writeBuffer, Math.max(writeBuffer.length * 2, n + more));
    }
  }

  // ------------------------------------------------------------------------------ answer

  private HttpAnswer read() throws IOException {
    for (int interim = 0; ; interim++) {
      readLine();
      int status = statusOf(line, lineLength);
      if (status < 0) {
        throw new IOException(
            "malformed status line \"" + printable(line, lineLength) + "\"; expected HTTP/1.x");
      }
      boolean http11 = line[7] == '1';
      Headers h = headers.reset();
      readHeaders(h);
      if (status / 100 == 1) {
        if (status == 101 || interim >= INTERIM_ANSWERS_MAX) {
          throw new IOException(
              "unexpected interim answer status=" + status + " interim=" + interim);
        }
        continue;
      }
      byte[] body;
      boolean untilClose = false;
      if (status == 204 || status == 304) {
        body = EMPTY;
      } else if (h.transferEncoding) {
        untilClose = !h.chunked;
        body = h.chunked ? readChunked() : readUntilClose();
      } else if (h.contentLength >= 0) {
        body = readFixed((int) h.contentLength);
      } else {
        untilClose = true;
        body = readUntilClose();
      }
      // Bytes already read past the answer mean the server and this client disagree on where it
      // ended (a wrong Content-Length): the next call would take them for its own answer.
      boolean nothingPast = readPos == readLimit;
      reusable = nothingPast && !untilClose && !h.close && (http11 || h.keepAlive);
      return new HttpAnswer(status, h.location, h.retryAfter, body);
    }
  }

  /** What the client reads of an answer's headers; one per connection, reset per answer. */
  private static final class Headers {
    long contentLength;
    boolean transferEncoding;
    boolean chunked;
    boolean close;
    boolean keepAlive;
    String location;
    String retryAfter;

    Headers reset() {
      contentLength = -1;
      transferEncoding = false;
      chunked = false;
      close = false;
      keepAlive = false;
      location = null;
      retryAfter = null;
      return this;
    }
  }

  /** The status of {@code HTTP/1.0 200 OK} or {@code HTTP/1.1 204}, or -1 if malformed. */
  static int statusOf(byte[] l, int n) {
    if (n < 12
        || !startsWith(l, "HTTP/1.")
        || (l[7] != '0' && l[7] != '1')
        || l[8] != ' '
        || (n > 12 && l[12] != ' ')) {
      return -1;
    }
    int status = 0;
    for (int i = 9; i < 12; i++) {
      if (l[i] < '0' || l[i] > '9') {
        return -1;
      }
      status = status * 10 + (l[i] - '0');
    }
    return status >= 100 ? status : -1;
  }

  private void readHeaders(Headers h) throws IOException {
    for (int count = 0; ; count++) {
      readLine();
      if (lineLength == 0) {
        return;
      }
      if (count == HEADERS_MAX) {
        throw new IOException("the answer has more than " + HEADERS_MAX + " headers; not ours");
      }
      int colon = indexOf(line, lineLength, ':');
      if (colon <= 0) {
        throw new IOException("malformed header line \"" + printable(line, lineLength) + "\"");
      }
      int from = colon + 1;
      int to = lineLength;
      while (from < to && (line[from] == ' ' || line[from] == '\t')) {
        from++;
      }
      while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
        to--;
      }
      if (nameIs(colon, "content-length")) {
        long n = parseLength(from, to);
        if (h.contentLength >= 0 && h.contentLength != n) {
          throw new IOException("the answer has two different Content-Length headers");
        }
        h.contentLength = n;
      } else if (nameIs(colon, "transfer-encoding")) {
        h.transferEncoding = true;
        h.chunked = lastTokenIs(from, to, "chunked");
      } else if (nameIs(colon, "connection")) {
        h.close |= hasToken(from, to, "close");
        h.keepAlive |= hasToken(from, to, "keep-alive");
      } else if (nameIs(colon, "location")) {
        h.location = new String(line, from, to - from, StandardCharsets.ISO_8859_1);
      } else if (nameIs(colon, "retry-after")) {
        h.retryAfter = new String(line, from, to - from, StandardCharsets.ISO_8859_1);
      }
    }
  }

  private long parseLength(int from, int to) throws IOException {
    if (from == to || to - from > 10) {
      throw new IOException("bad Content-Length \"" + printable(line, lineLength) + "\"");
    }
    long n = 0;
    for (int i = from; i < to; i++) {
      if (line[i] < '0' || line[i] > '9') {
        throw new IOException("bad Content-Length \"" + printable(line, lineLength) + "\"");
      }
      n = n * 10 + (line[i] - '0');
    }
    if (n > Integer.MAX_VALUE - 16) {
      throw new IOException("Content-Length=" + n + " is larger than a Java array");
    }
    return n;
  }

  private byte[] readFixed(int n) throws IOException {
    byte[] body = n == 0 ? EMPTY : new byte[n];
    int got = Math.min(n, readLimit - readPos);
    System.arraycopy(readBuffer, readPos, body, 0, got);
    readPos += got;
    while (got < n) {
      int r = readDirect(body, got, n - got);
      if (r < 0) {
        throw new EOFException(
            "the server closed the connection mid-body: got=" + got + " of=" + n);
      }
      got += r;
    }
    return body;
  }

  private byte[] readChunked() throws IOException {
    int length = 0;
    for (; ; ) {
      readLine();
      int size = chunkSize();
      if (size == 0) {
        break;
      }
      if (size > bodyBuffer.length - length) {
        growBody(length, size);
      }
      int got = 0;
      while (got < size) {
        if (readPos == readLimit && !fill()) {
          throw new EOFException("the server closed the connection mid-chunk");
        }
        int k = Math.min(size - got, readLimit - readPos);
        System.arraycopy(readBuffer, readPos, bodyBuffer, length + got, k);
        readPos += k;
        got += k;
      }
      length += size;
      readLine();
      if (lineLength != 0) {
        throw new IOException("a chunk is longer than its size=" + size);
      }
    }
    for (int trailers = 0; ; trailers++) {
      readLine();
      if (lineLength == 0) {
        return collected(length);
      }
      if (trailers == HEADERS_MAX) {
        throw new IOException("the answer has more than " + HEADERS_MAX + " trailers; not ours");
      }
    }
  }

  /** The hex size of a chunk-size line, extensions after {@code ;} ignored. */
  private int chunkSize() throws IOException {
    int end = indexOf(line, lineLength, ';');
    int to = end < 0 ? lineLength : end;
    while (to > 0 && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
      to--;
    }
    if (to == 0 || to > 7) {
      throw new IOException("malformed chunk size \"" + printable(line, lineLength) + "\"");
    }
    int size = 0;
    for (int i = 0; i < to; i++) {
      int d = Character.digit(line[i], 16);
      if (d < 0) {
        throw new IOException("malformed chunk size \"" + printable(line, lineLength) + "\"");
      }
      size = size * 16 + d;
    }
    return size;
  }

  private byte[] readUntilClose() throws IOException {
    int length = 0;
    for (; ; ) {
      if (readPos == readLimit && !fill()) {
        return collected(length);
      }
      int k = readLimit - readPos;
      if (k > bodyBuffer.length - length) {
        growBody(length, k);
      }
      System.arraycopy(readBuffer, readPos, bodyBuffer, length, k);
      readPos += k;
      length += k;
    }
  }

  private byte[] collected(int length) {
    byte[] body = Arrays.copyOf(bodyBuffer, length);
    if (bodyBuffer.length > KEPT_BODY_BUFFER_BYTES_MAX) {
      bodyBuffer = EMPTY;
    }
    return body;
  }

  private void growBody(int length, int more) throws IOException {
    if (more > Integer.MAX_VALUE - 16 - length) {
      throw new IOException("the answer's body is larger than a Java array");
    }
    int size = (int) Math.min(Integer.MAX_VALUE - 16, Math.max(2L * bodyBuffer.length, 1024));
    bodyBuffer = Arrays.copyOf(bodyBuffer, Math.max(size, length + more));
  }

  /** Reads one line without its CR LF into {@link #line}. */
  private void readLine() throws IOException {
    int n = 0;
    for (; ; ) {
      if (readPos == readLimit && !fill()) {
        throw new EOFException(
            answerStarted
                ? "the server closed the connection mid-answer"
                : "the server closed the connection before answering");
      }
      byte b = readBuffer[readPos++];
      if (b == '\n') {
        break;
      }
      if (n == line.length) {
        if (n == HEADER_LINE_BYTES_MAX) {
          throw new IOException(
              "an answer line is longer than " + HEADER_LINE_BYTES_MAX + " bytes; not ours");
        }
        line = Arrays.copyOf(line, Math.min(HEADER_LINE_BYTES_MAX, n * 2));
      }
      line[n++] = b;
    }
    lineLength = n > 0 && line[n - 1] == '\r' ? n - 1 : n;
  }

  /** Refills the read buffer; false at the end of the stream. */
  private boolean fill() throws IOException {
    int n = readDirect(readBuffer, 0, readBuffer.length);
    if (n < 0) {
      return false;
    }
    readPos = 0;
    readLimit = n;
    return true;
  }

  private int readDirect(byte[] b, int off, int len) throws IOException {
    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, millisLeft(deadlineNanos))));
    if (nanosLeft() <= 0) {
      throw timedOut();
    }
    int n;
    try {
      n = in.read(b, off, len);
    } catch (SocketTimeoutException e) {
      throw timedOut();
    } catch (IOException e) {
      throw writeAborted ? timedOut() : e; // the write guard fired just as the write ended
    }
    if (n > 0) {
      answerStarted = true;
    }
    return n;
  }

  private SocketTimeoutException timedOut() {
    close();
    return new SocketTimeoutException(
        "request timed out: no whole answer within timeout=" + timeout);
  }

  private long nanosLeft() {
    return deadlineNanos - System.nanoTime();
  }

  /** Milliseconds to the deadline, rounded up, so a socket timeout never ends before it. */
  private static long millisLeft(long deadlineNanos) {
    long nanos = deadlineNanos - System.nanoTime();
    return nanos <= 0 ? 0 : (nanos + 999_999) / 1_000_000;
  }

  // ------------------------------------------------------------------------------ bytes

  private boolean nameIs(int colon, String lowerName) {
    if (colon != lowerName.length()) {
      return false;
    }
    for (int i = 0; i < colon; i++) {
      int c = line[i];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != lowerName.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Whether a comma-separated value holds {@code token}, ignoring case and spaces. */
  private boolean hasToken(int from, int to, String token) {
    int start = from;
    for (int i = from; i <= to; i++) {
      if (i == to || line[i] == ',') {
        if (tokenAt(start, i, token)) {
          return true;
        }
        start = i + 1;
      }
    }
    return false;
  }

  private boolean lastTokenIs(int from, int to, String token) {
    int start = from;
    for (int i = from; i < to; i++) {
      if (line[i] == ',') {
        start = i + 1;
      }
    }
    return tokenAt(start, to, token);
  }

  private boolean tokenAt(int from, int to, String token) {
    while (from < to && (line[from] == ' ' || line[from] == '\t')) {
      from++;
    }
    while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
      to--;
    }
    if (to - from != token.length()) {
      return false;
    }
    for (int i = 0; i < token.length(); i++) {
      int c = line[from + i];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != token.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static boolean startsWith(byte[] l, String prefix) {
    for (int i = 0; i < prefix.length(); i++) {
      if (l[i] != prefix.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] l, int n, char c) {
    for (int i = 0; i < n; i++) {
      if (l[i] == c) {
        return i;
      }
    }
    return -1;
  }

  /** At most 100 characters of a line, control and non-ASCII bytes as {@code ?}. */
  private static String printable(byte[] l, int n) {
    var b = new StringBuilder(Math.min(n, 100) + 3);
    for (int i = 0; i < Math.min(n, 100); i++) {
      char c = (char) (l[i] & 0xff);
      b.append(c >= ' ' && c <= '~' ? c : '?');
    }
    return n > 100 ? b.append("...").toString() : b.toString();
  }

  /** The one timer thread that ends writes stuck past their deadline; made on first need. */
  private static final class WriteGuard {
    static final ScheduledThreadPoolExecutor TIMER = timer();

    private static ScheduledThreadPoolExecutor timer() {
      var t =
          new ScheduledThreadPoolExecutor(
              1,
              r -> {
                var thread = new Thread(r, "hourglass-client-write-guard");
                thread.setDaemon(true);
                return thread;
              });
      t.setRemoveOnCancelPolicy(true); // a cancelled guard frees its task at once
      t.setKeepAliveTime(10, TimeUnit.SECONDS);
      t.allowCoreThreadTimeOut(true); // no thread while no large request is being written
      return t;
    }
  }
}
