package dev.trellis.proxy.upstream;

import dev.trellis.proxy.http.Http2Handlers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;

/**
 * One request's stream on a {@link PooledHttp2Connection}: a plain object, not a channel. It turns
 * the request's HTTP objects into frames, and the response's frames into HTTP objects for its sink.
 *
 * <p>The Netty stream exists from the first HEADERS written; a request with no body leaves as one
 * HEADERS frame with END_STREAM. While the sink does not read ({@link #reading(boolean)}), the
 * response's bytes are not given back to the stream's window, so the upstream stops sending.
 * A stream the peer refused, or one above its GOAWAY's last stream id, was not processed: the sink
 * is told so with an {@link UnprocessedRequestException}, and may send the request again.
 */
final class Http2StreamLease implements Lease {
    private static final AsciiString HTTP = AsciiString.cached("http");

    private final PooledHttp2Connection connection;
    private Http2Stream stream;
    private ResponseSink sink;
    /** The request head, written with the next part so that a bodyless request is one frame. */
    private HttpRequest pendingHead;
    private boolean reading = true;
    /** Response bytes read while not reading, given back to the stream's window on resume. */
    private int heldBytes;
    private boolean sentEnd;
    private boolean receivedEnd;
    private boolean responseStarted;
    /** Closed or given up: the slot is free, nothing more is written. */
    private boolean done;
    /** Listed for a read-complete call at the end of the connection's current read. */
    boolean readThisTurn;
    private Throwable failure;

    Http2StreamLease(PooledHttp2Connection connection) {
        this.connection = connection;
    }

    // What the request's try does.

    @Override
    public void bind(ResponseSink sink) {
        this.sink = sink;
    }

    @Override
    public void write(HttpObject part) {
        if (done) {
            ReferenceCountUtil.release(part);
            return;
        }
        if (part instanceof HttpRequest head) {
            pendingHead = head;
            if (!(part instanceof LastHttpContent)) {
                return;
            }
        }
        if (part instanceof LastHttpContent last) {
            boolean trailers = !last.trailingHeaders().isEmpty();
            if (pendingHead != null && !last.content().isReadable() && !trailers) {
                writeHead(true); // the whole request in one HEADERS frame
                ReferenceCountUtil.release(part);
                return;
            }
            writeHead(false);
            if (last.content().isReadable() || !trailers) {
                sentEnd = !trailers;
                connection.writeData(stream, last.content(), !trailers);
            } else {
                last.release();
            }
            if (trailers && stream != null) {
                sentEnd = true;
                connection.writeHeaders(stream.id(), HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), false), true);
            }
        } else if (part instanceof HttpContent content) {
            writeHead(false);
            connection.writeData(stream, content.content(), false);
        }
    }

    private void writeHead(boolean endStream) {
        HttpRequest head = pendingHead;
        if (head == null) {
            return;
        }
        pendingHead = null;
        head.headers().set(HttpConversionUtil.ExtensionHeaderNames.SCHEME.text(), HTTP); // h2c: "http"
        Http2Headers headers = HttpConversionUtil.toHttp2Headers(head, false);
        sentEnd = endStream;
        stream = connection.openStream(this, headers, endStream);
    }

    @Override
    public void flush() {
        if (!done) {
            writeHead(false);
            connection.flush();
        }
    }

    @Override
    public boolean writable() {
        return !done && connection.writable(stream);
    }

    @Override
    public void reading(boolean on) {
        reading = on;
        if (on && heldBytes > 0) {
            int bytes = heldBytes;
            heldBytes = 0;
            if (!done) {
                connection.consumed(stream, bytes);
            }
        }
    }

    @Override
    public void close() {
        sink = null;
        if (done) {
            return;
        }
        done = true;
        if (pendingHead != null) {
            pendingHead = null; // never sent: there is no stream to end
        } else if (stream != null && !(sentEnd && receivedEnd)) {
            connection.reset(stream); // the upstream would go on sending, or waiting for the rest
        }
        connection.streamDone(this);
    }

    @Override
    public boolean reused() {
        return false;
    }

    @Override
    public boolean multiplexed() {
        return true;
    }

    // What the connection reads for this stream.

    /** @throws Http2Exception a response head that cannot be an HTTP/1.1 one, which resets the stream */
    void headersRead(Http2Headers headers, boolean endOfStream) throws Http2Exception {
        receivedEnd |= endOfStream;
        int id = stream.id();
        HttpObject part;
        try {
            if (responseStarted && headers.status() == null) {
                LastHttpContent trailers = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
                HttpConversionUtil.addHttp2ToHttpHeaders(id, headers, trailers.trailingHeaders(), HttpVersion.HTTP_1_1, true, false);
                part = trailers;
            } else if (isInterim(headers.status()) || endOfStream) {
                responseStarted |= !isInterim(headers.status());
                part = HttpConversionUtil.toFullHttpResponse(id, headers, Unpooled.EMPTY_BUFFER, true);
            } else {
                responseStarted = true;
                HttpResponse response = HttpConversionUtil.toHttpResponse(id, headers, true);
                if (!HttpUtil.isContentLengthSet(response) && !bodyless(response.status())) {
                    response.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                }
                part = response;
            }
        } catch (RuntimeException e) {
            failure = new IOException("upstream sent a malformed response head: " + e.getMessage(), e);
            throw Http2Exception.streamError(id, Http2Error.PROTOCOL_ERROR, e, "malformed response head");
        }
        deliver(part);
    }

    /** @return the bytes to give back to the stream's window now */
    int dataRead(ByteBuf data, int bytes, boolean endOfStream) {
        receivedEnd |= endOfStream;
        deliver(Http2Handlers.content(data, endOfStream));
        if (reading || done) {
            return bytes;
        }
        heldBytes += bytes;
        return 0;
    }

    void resetRead(long errorCode) {
        if (errorCode == Http2Error.REFUSED_STREAM.code()) {
            failure = new UnprocessedRequestException("upstream refused the stream (REFUSED_STREAM)");
        } else {
            Http2Error error = Http2Error.valueOf(errorCode);
            failure = new IOException("upstream reset the stream (" + (error != null ? error : "error code " + errorCode) + ")");
        }
    }

    /** The stream is above the last stream id of the upstream's GOAWAY: it is closed unprocessed. */
    void goneAway() {
        failure = new UnprocessedRequestException("the stream is above the last stream id of the upstream's GOAWAY");
    }

    /** Netty would not open the stream (the peer's limit, or a GOAWAY): nothing was sent. */
    void notOpened(Throwable cause) {
        failure = cause instanceof Http2Exception e && e.error() == Http2Error.REFUSED_STREAM
                ? new UnprocessedRequestException("the stream could not be opened: " + cause.getMessage())
                : cause;
    }

    /** The stream closed, or the connection did ({@code cause} its failure, or null). */
    void closed(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        ResponseSink s = sink;
        sink = null;
        if (!done) {
            done = true;
            connection.streamDone(this);
        }
        if (s != null) {
            s.onUpstreamClosed(failure);
        }
    }

    void readComplete() {
        readThisTurn = false;
        if (sink != null) {
            sink.onUpstreamReadComplete();
        }
    }

    void writabilityChanged() {
        if (sink != null && writable()) {
            sink.onUpstreamWritable();
        }
    }

    private void deliver(HttpObject part) {
        if (sink == null) {
            ReferenceCountUtil.release(part);
            return;
        }
        connection.readFor(this);
        sink.onUpstreamRead(part);
    }

    private static boolean isInterim(CharSequence status) {
        return status != null && status.length() == 3 && status.charAt(0) == '1' && !"101".contentEquals(status);
    }

    private static boolean bodyless(HttpResponseStatus status) {
        return status.codeClass() == HttpStatusClass.INFORMATIONAL || status.code() == 204 || status.code() == 304;
    }

    PooledHttp2Connection connection() {
        return connection;
    }

    @Override
    public String toString() {
        return "stream " + (stream == null ? "(not opened)" : stream.id()) + " of " + connection;
    }
}
