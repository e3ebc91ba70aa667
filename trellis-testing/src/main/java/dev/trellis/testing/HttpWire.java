package dev.trellis.testing;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * One HTTP/1.x connection driven by hand, over a blocking socket: the test writes the request
 * bytes it wants (several at once to pipeline them, HTTP/1.0, HEAD, a body cut short) and reads
 * each response strictly by its framing, where a client library would hide what happened. A body
 * that ends before its framing says is an {@link IOException}, never a short body. One thread at
 * a time.
 */
public final class HttpWire implements Closeable {

    /**
     * A complete response.
     *
     * @param version as on the status line, e.g. {@code HTTP/1.1}
     * @param headers by lower-case name, repeated values joined by ", "
     * @param framing how its body was delimited: {@code none} (HEAD, 1xx, 204, 304), {@code length},
     *     {@code chunked}, or {@code close} (it ran to the end of the connection)
     */
    public record Response(String version, int status, Map<String, String> headers, byte[] body, String framing) {
        /** The value of header {@code name} (any case), or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final Http1Reader reader;

    private HttpWire(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
        this.reader = new Http1Reader(in);
    }

    /** @param timeout for connecting and for each read */
    public static HttpWire connect(String host, int port, Duration timeout) throws IOException {
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), millis);
            socket.setSoTimeout(millis);
            return new HttpWire(socket);
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    /**
     * Reads an HTTP/1.x head off {@code in}, request or response, up to and including its blank
     * line, byte by byte so that nothing after it is consumed: for a test's own raw-socket app or client.
     */
    public static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the head: " + head);
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** Writes {@code raw} (ISO-8859-1) as it is, and flushes. */
    public HttpWire write(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    /** The next response, to a request that was not HEAD. */
    public Response read() throws IOException {
        return read("GET");
    }

    /** The next response, to a request of {@code method}: a response to HEAD has no body. */
    public Response read(String method) throws IOException {
        Http1Reader.Parsed parsed = reader.read(method.equalsIgnoreCase("HEAD"));
        return new Response(parsed.version(), parsed.status(), parsed.headers(), parsed.body(), parsed.framing());
    }

    /**
     * Waits, up to the read timeout, for the peer to close the connection (an end of stream or a
     * reset). True if it did; false if the connection is still open.
     *
     * @throws IOException if bytes arrive instead: nothing more was expected
     */
    public boolean awaitPeerClosed() throws IOException {
        int b;
        try {
            b = in.read();
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset
        }
        if (b < 0) {
            return true;
        }
        byte[] more = new byte[Math.min(in.available(), 200)];
        int n = in.read(more);
        throw new IOException("unexpected bytes where the connection should have ended: '" + (char) b
                + new String(more, 0, Math.max(n, 0), StandardCharsets.ISO_8859_1) + "'");
    }

    /**
     * Everything the peer sends from here to the end of the connection, and how it ended.
     *
     * @param reset the connection ended with a reset (an RST), not an orderly close
     */
    public record Ending(byte[] bytes, boolean reset) {
        public String text() {
            return new String(bytes, StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * Reads until the peer ends the connection, by an orderly close or a reset.
     *
     * @throws SocketTimeoutException if it is still open after the read timeout
     */
    public Ending readToEnd() throws IOException {
        java.io.ByteArrayOutputStream seen = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (SocketTimeoutException e) {
                throw e;
            } catch (SocketException e) {
                return new Ending(seen.toByteArray(), true);
            }
            if (n < 0) {
                return new Ending(seen.toByteArray(), false);
            }
            seen.write(buffer, 0, n);
        }
    }

    /** Closes the connection. */
    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
