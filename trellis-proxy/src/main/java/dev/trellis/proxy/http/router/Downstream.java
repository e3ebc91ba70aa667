package dev.trellis.proxy.http.router;

import dev.trellis.proxy.http.RequestRecord;
import dev.trellis.proxy.telemetry.ResponseFlag;
import dev.trellis.proxy.upstream.Lease;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/** The client's side of the request, as the router sees it: where the response goes. */
public interface Downstream {
    /** The request's head, as the router prepares it for upstream. */
    HttpRequest request();

    EventLoop eventLoop();

    boolean grpc();

    /** Whether the client asked for a WebSocket upgrade the listener allows. */
    boolean webSocket();

    /** Whether the client spoke HTTP/2 (the request is one stream). */
    boolean http2();

    RequestRecord record();

    /** The client's IP address as text, or null. */
    String clientIp();

    /** Stops reading the request body until {@link #resumeReading()}: the upstream cannot take more now. */
    void pauseReading();

    void resumeReading();

    /** Whether the client can take more of the response now. */
    boolean writable();

    /** Whether anything of a final response (or a 1xx) has gone to the client: then nothing can be retried. */
    boolean responseStarted();

    /** A part of a 1xx response, passed on as it comes, and flushed at its end. */
    void sendInterim(HttpObject part);

    /** The final response's head. */
    void sendHead(HttpResponse response);

    /** A piece of the response body; the last one completes the response. */
    void sendBody(HttpContent content);

    void flush();

    /** Answers from the proxy itself, or resets if a response has begun. */
    void respond(HttpResponseStatus status, int grpcStatus, String message, ResponseFlag flag);

    /** Ends the request at once on both sides: the response cannot be completed. */
    void reset(ResponseFlag flag);

    /** The upstream accepted a WebSocket upgrade: pass on its 101, then splice the connections. */
    void tunnel(HttpResponse response, Lease upstream);
}
