package dev.trellis.proxy.http;

import dev.trellis.proxy.listener.ListenerContext;
import dev.trellis.proxy.upstream.Lease;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;

/**
 * What a {@link DownstreamStream} needs of the client connection that carries it: an HTTP/1.1
 * connection ({@link HttpProxyHandler}) or one stream of an HTTP/2 connection
 * ({@link Http2ServerConnection}). Every method runs on the connection's event loop.
 */
interface StreamCarrier {
    ListenerContext listener();

    EventLoop eventLoop();

    /** Whether the request came over HTTP/2. */
    boolean http2();

    /** The client's IP address as text, or null. */
    String clientIp();

    /** Whether the connection is to close once this request is done (draining, or asked to). */
    boolean closing();

    /** Passes a response part on toward the client, unflushed. */
    void write(HttpObject part);

    /** Sends what was written; the carrier may gather the flushes of one turn of the loop into one. */
    void flush();

    /** Whether the client can take more of the response now. */
    boolean writable();

    /** Stops taking the request body from the client until {@link #resumeReading()}. */
    void pauseReading();

    void resumeReading();

    /** The request moved, either way: its stream idle timer starts over. */
    void touch();

    /** Times the request out after {@code nanos} with nothing moving, until it ends. */
    void startIdleTimer(long nanos);

    /** Ends the request at once: an HTTP/1.1 connection closes, an HTTP/2 stream is reset. */
    void reset();

    /** The request and its response are both complete. */
    void streamEnded(boolean keepConnection);

    /** Passes the upstream's 101 on and splices the client's connection to the upstream's. */
    void tunnel(HttpResponse response, Lease upstream);
}
