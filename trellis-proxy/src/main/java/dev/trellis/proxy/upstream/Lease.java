package dev.trellis.proxy.upstream;

import io.netty.handler.codec.http.HttpObject;

/**
 * The right to send one request upstream: an HTTP/1.1 connection taken from the pool or newly
 * made ({@link ConnectionLease}), or a stream of a shared HTTP/2 connection. What a try writes
 * and reads goes through it, whichever it is.
 */
public interface Lease {
    /** From now on what the upstream sends for this request goes to {@code sink}. */
    void bind(ResponseSink sink);

    /** Writes a part of the request, which this takes ownership of; sent on {@link #flush()}. */
    void write(HttpObject part);

    /** Sends what was written; the streams of one HTTP/2 connection flush together, once per loop turn. */
    void flush();

    /** Whether the upstream takes more of the body now; {@link ResponseSink#onUpstreamWritable()} says when it does again. */
    boolean writable();

    /** Reads the response on, or holds it back while the client cannot take more. */
    void reading(boolean on);

    /** Gives up the request: the connection is closed, or the stream reset if it is still open. */
    void close();

    /**
     * True when the connection was idle in the pool, so it may have been closed by the peer in the
     * meantime; a request that fails on it before any response may be tried again.
     */
    boolean reused();

    /** Whether this is an HTTP/2 stream, which is never returned to the pool. */
    boolean multiplexed();
}
