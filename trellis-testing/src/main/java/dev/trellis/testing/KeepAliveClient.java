package dev.trellis.testing;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP/1.1 client on one keep-alive connection, over a plain blocking socket, that reports
 * every failure it meets. Unlike the JDK's {@code HttpClient}, it never sends a request twice: a
 * connection closed or reset before the whole response arrived is an {@link IOException} for
 * that request, so a test sees each request a proxy dropped. It opens a new connection only for
 * the first request, after a failure, or after a response that said {@code Connection: close}.
 * One thread at a time.
 */
public final class KeepAliveClient implements Closeable {

    /** A complete response: status, headers by lower-case name (values joined by ", ") and body. */
    public record Response(int status, Map<String, String> headers, byte[] body) {
        /** The value of header {@code name} (any case), or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final String host;
    private final int port;
    private final int timeoutMillis;
    private Socket socket;
    private Http1Reader reader;
    private OutputStream out;
    private long connections;

    /** @param timeout for connecting and for each read; a response slower than this fails */
    public KeepAliveClient(String host, int port, Duration timeout) {
        this.host = host;
        this.port = port;
        this.timeoutMillis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    }

    /**
     * Sends {@code GET path} and reads the whole response.
     *
     * @throws IOException when the connection cannot be opened, or is closed, reset or silent
     *     before the response is complete; the connection is then dropped
     */
    public Response get(String path) throws IOException {
        return get(path, Map.of());
    }

    /** Sends {@code GET path} with these extra headers and reads the whole response; fails as {@link #get(String)}. */
    public Response get(String path, Map<String, String> headers) throws IOException {
        if (socket == null) {
            open();
        }
        StringBuilder request = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: ")
                .append(host).append(':').append(port).append("\r\n");
        headers.forEach((name, value) -> request.append(name).append(": ").append(value).append("\r\n"));
        request.append("\r\n");
        try {
            out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Response response = read();
            String connection = response.header("connection");
            if (connection != null && connection.toLowerCase(Locale.ROOT).contains("close")) {
                close();
            }
            return response;
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /** How many connections this client has opened. */
    public long connectionCount() {
        return connections;
    }

    private void open() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        socket = s;
        reader = new Http1Reader(new BufferedInputStream(s.getInputStream()));
        out = s.getOutputStream();
        connections++;
    }

    /** The final response: interim ones (1xx other than 101) are read and passed over. */
    private Response read() throws IOException {
        Response response = readOne();
        while (response.status() / 100 == 1 && response.status() != 101) {
            response = readOne();
        }
        return response;
    }

    private Response readOne() throws IOException {
        Http1Reader.Parsed parsed = reader.read(false);
        if (parsed.framing().equals("close")) {
            close();
        }
        return new Response(parsed.status(), parsed.headers(), parsed.body());
    }

    /** Closes the connection, if one is open; the next request opens a new one. */
    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            socket = null;
            reader = null;
            out = null;
        }
    }
}
