package dev.trellis.testing;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads HTTP/1.x responses off a blocking stream, byte by byte as a strict client would: a body
 * that ends before its framing says it should is an {@link EOFException}, never a short body.
 */
final class Http1Reader {

    /**
     * One response as it came off the wire.
     *
     * @param headers by lower-case name, repeated values joined by ", "
     * @param framing how the body was delimited: {@code none} (HEAD, 1xx, 204, 304), {@code length},
     *     {@code chunked} or {@code close}
     */
    record Parsed(String version, int status, Map<String, String> headers, byte[] body, String framing) {}

    private final InputStream in;

    Http1Reader(InputStream in) {
        this.in = in;
    }

    /**
     * The next response, its body read as its framing says; {@code head} for the response to a
     * HEAD request, which has no body whatever its headers say.
     */
    Parsed read(boolean head) throws IOException {
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x status line: '" + statusLine + "'");
        }
        int status;
        try {
            status = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status code in '" + statusLine + "'");
        }
        Map<String, String> headers = new TreeMap<>();
        for (String header = line(); !header.isEmpty(); header = line()) {
            int colon = header.indexOf(':');
            if (colon <= 0) {
                throw new IOException("bad header line '" + header + "'");
            }
            headers.merge(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim(),
                    (a, b) -> a + ", " + b);
        }
        byte[] body;
        String framing;
        if (head || status / 100 == 1 || status == 204 || status == 304) {
            body = new byte[0];
            framing = "none";
        } else if (headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).endsWith("chunked")) {
            body = chunked();
            framing = "chunked";
        } else if (headers.containsKey("content-length")) {
            body = exactly(Long.parseLong(headers.get("content-length")));
            framing = "length";
        } else {
            body = in.readAllBytes(); // delimited by the close
            framing = "close";
        }
        return new Parsed(parts[0], status, Collections.unmodifiableMap(headers), body, framing);
    }

    private byte[] chunked() throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line();
            int semicolon = size.indexOf(';');
            long length;
            try {
                length = Long.parseLong((semicolon >= 0 ? size.substring(0, semicolon) : size).trim(), 16);
            } catch (NumberFormatException e) {
                throw new IOException("bad chunk size line '" + size + "'");
            }
            if (length == 0) {
                while (!line().isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(exactly(length));
            if (!line().isEmpty()) {
                throw new IOException("chunk not followed by CRLF");
            }
        }
    }

    private byte[] exactly(long length) throws IOException {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IOException("body of " + length + " bytes is too large for this client");
        }
        byte[] body = in.readNBytes((int) length);
        if (body.length < length) {
            throw new EOFException("connection closed after " + body.length + " of " + length + " body bytes");
        }
        return body;
    }

    private String line() throws IOException {
        StringBuilder line = new StringBuilder();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException(line.isEmpty() ? "connection closed before the response" : "connection closed mid-line");
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            line.append((char) b);
        }
    }
}
